package dev.registerservice.registration;

/**
 * A registration that passed validation: username as typed, email lower-cased, country as an ISO 3166
 * alpha-2 code. The password lives here only until it is hashed; nothing logs or stores this record.
 */
public record Registration(String username, String email, String password, String country) {
  @Override
  public String toString() {
    return "Registration[username=" + username + ", email=" + email + ", country=" + country + "]";
  }
}
