package dev.registerservice.config;

/** Which Netty transport the traffic server runs on. */
public enum Transport {
  /** Native epoll; required by default, start-up fails if it is unavailable. */
  EPOLL,
  /** Java NIO; only when asked for explicitly. */
  NIO
}
