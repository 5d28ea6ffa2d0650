package dev.registerservice.transport.http1;

import io.netty.buffer.ByteBuf;

/**
 * A chunked body's framing, checked byte by byte against RFC 9112 section 7.1 ahead of Netty: a size of
 * 1*HEXDIG (at most an int, as Netty), then extensions {@code *( BWS ";" BWS name [ BWS "=" BWS value ] )}
 * with token names and token or quoted-string values, CRLF; the data and its CRLF; after the last chunk,
 * trailer lines up to the empty line. Data bytes are skipped by count, not read. Bare CR or LF anywhere in
 * the framing, leading or trailing junk, an obs-fold in the trailers: malformed.
 *
 * <p>The bytes arrive in reads cut anywhere: the state machine remembers where it is, and how many bytes at
 * the buffer's reader index it has already seen ({@link #consumed} keeps that count as Netty reads on).
 */
final class ChunkedBody {
  /** Netty caps a chunk size at an int; so do we, with the same line limit as the request line. */
  static final int MAX_SIZE_LINE = 4096;

  /** Where in the body the next byte falls. The states up to {@code SIZE_LF} are on a size line. */
  enum State {
    SIZE_FIRST, SIZE, BWS_SEMI, EXT_NAME_FIRST, EXT_NAME, BWS_NAME, EXT_VALUE_FIRST, EXT_VALUE_TOKEN,
    EXT_QUOTED, EXT_QUOTED_PAIR, AFTER_QUOTED, SIZE_LF,
    DATA, DATA_CR, DATA_LF,
    TRAILER_START, TRAILER_LINE, TRAILER_LF, END_LF, DONE;

    boolean onSizeLine() {
      return ordinal() <= SIZE_LF.ordinal();
    }
  }

  private boolean active;
  private RejectReason failure;
  private State state;
  /** The chunk size read so far; while in DATA, the data bytes still to come. */
  private long size;
  private int lineLength;
  /** How many bytes at the buffer's reader index this check has already seen. */
  private int scanned;

  /** A chunked body begins at the buffer's reader index. */
  void start() {
    active = true;
    failure = null;
    state = State.SIZE_FIRST;
    size = 0;
    lineLength = 0;
    scanned = 0;
  }

  /** The body ended (Netty emitted its last content) or the request was refused: check no more bytes. */
  void stop() {
    active = false;
  }

  boolean active() {
    return active;
  }

  /** Why the body is malformed, once {@link #scan} returned false. */
  RejectReason failure() {
    return failure;
  }

  /** Netty read {@code bytes} from the buffer: as many of the already seen bytes are behind the reader index. */
  void consumed(int bytes) {
    scanned = Math.max(0, scanned - bytes);
  }

  /** Checks the buffer's bytes this check has not seen yet; false when the body is malformed. */
  boolean scan(ByteBuf in) {
    int i = in.readerIndex() + scanned;
    int to = in.writerIndex();
    while (i < to && state != State.DONE) {
      if (state == State.DATA) {
        int skip = (int) Math.min(size, to - i);
        i += skip;
        size -= skip;
        if (size == 0) {
          state = State.DATA_CR;
        }
        continue;
      }
      byte b = in.getByte(i++);
      if (state.onSizeLine() && ++lineLength > MAX_SIZE_LINE || !accept(b)) {
        return fail(state == State.TRAILER_START && Rfc9112.isSpOrTab(b) ? RejectReason.OBS_FOLD : RejectReason.BAD_CHUNK);
      }
    }
    if (state == State.DONE) {
      active = false;
    }
    scanned = i - in.readerIndex();
    return true;
  }

  /** Moves on by byte {@code b} (one framing byte, never data); false when {@code b} is not allowed here. */
  private boolean accept(byte b) {
    boolean ws = Rfc9112.isSpOrTab(b);
    State next;
    switch (state) {
      case SIZE_FIRST, SIZE -> {
        int digit = Rfc9112.hexValue(b);
        if (digit >= 0) {
          size = size * 16 + digit;
          next = size > Integer.MAX_VALUE ? null : State.SIZE;
        } else {
          next = state == State.SIZE ? afterSizeOrValue(b, ws) : null;
        }
      }
      case BWS_SEMI -> next = ws ? State.BWS_SEMI : b == ';' ? State.EXT_NAME_FIRST : null;
      case EXT_NAME_FIRST -> next = ws ? State.EXT_NAME_FIRST : Rfc9112.isTchar(b) ? State.EXT_NAME : null;
      case EXT_NAME -> next = Rfc9112.isTchar(b) ? State.EXT_NAME : b == '=' ? State.EXT_VALUE_FIRST
          : b == ';' ? State.EXT_NAME_FIRST : b == '\r' ? State.SIZE_LF : ws ? State.BWS_NAME : null;
      case BWS_NAME -> next = ws ? State.BWS_NAME : b == '=' ? State.EXT_VALUE_FIRST
          : b == ';' ? State.EXT_NAME_FIRST : null;
      case EXT_VALUE_FIRST -> next = ws ? State.EXT_VALUE_FIRST : b == '"' ? State.EXT_QUOTED
          : Rfc9112.isTchar(b) ? State.EXT_VALUE_TOKEN : null;
      case EXT_VALUE_TOKEN -> next = Rfc9112.isTchar(b) ? State.EXT_VALUE_TOKEN : afterSizeOrValue(b, ws);
      case AFTER_QUOTED -> next = afterSizeOrValue(b, ws);
      case EXT_QUOTED -> next = b == '"' ? State.AFTER_QUOTED : b == '\\' ? State.EXT_QUOTED_PAIR
          : Rfc9112.isQdtext(b) ? State.EXT_QUOTED : null;
      case EXT_QUOTED_PAIR -> next = ws || b == '"' || b == '\\' || Rfc9112.isQdtext(b) ? State.EXT_QUOTED : null;
      case SIZE_LF -> {
        // The size line's LF: data follows, or the trailer section after the last chunk.
        lineLength = 0;
        next = b != '\n' ? null : size == 0 ? State.TRAILER_START : State.DATA;
      }
      case DATA_CR -> next = b == '\r' ? State.DATA_LF : null;
      case DATA_LF -> next = b == '\n' ? State.SIZE_FIRST : null;
      case TRAILER_START -> next = b == '\r' ? State.END_LF : ws || b == '\n' ? null : State.TRAILER_LINE;
      case TRAILER_LINE -> next = b == '\r' ? State.TRAILER_LF : b == '\n' ? null : State.TRAILER_LINE;
      case TRAILER_LF -> next = b == '\n' ? State.TRAILER_START : null;
      case END_LF -> next = b == '\n' ? State.DONE : null;
      default -> throw new IllegalStateException("no framing byte is read in state " + state);
    }
    if (next == null) {
      return false;
    }
    state = next;
    return true;
  }

  /** After a chunk size, an extension's name or its value: another extension, the line's end, or BWS. */
  private static State afterSizeOrValue(byte b, boolean ws) {
    return b == ';' ? State.EXT_NAME_FIRST : b == '\r' ? State.SIZE_LF : ws ? State.BWS_SEMI : null;
  }

  private boolean fail(RejectReason reason) {
    failure = reason;
    active = false;
    return false;
  }
}
