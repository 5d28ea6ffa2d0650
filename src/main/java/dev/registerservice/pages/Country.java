package dev.registerservice.pages;

import java.text.Collator;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** One option of the country select: ISO 3166 alpha-2 code and English name. */
public record Country(String code, String name) {
  /**
   * Every ISO 3166 country, sorted by name as an English reader expects ("Åland Islands" among the A's,
   * "Côte d'Ivoire" before "Croatia"), not by code point.
   */
  public static final List<Country> ALL = sorted();

  private static List<Country> sorted() {
    Collator collator = Collator.getInstance(Locale.ENGLISH);
    return Arrays.stream(Locale.getISOCountries())
        .map(code -> new Country(code, new Locale("", code).getDisplayCountry(Locale.ENGLISH)))
        .sorted(Comparator.comparing(Country::name, collator))
        .toList();
  }
}
