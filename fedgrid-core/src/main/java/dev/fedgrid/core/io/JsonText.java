package dev.fedgrid.core.io;

import dev.fedgrid.api.InvalidRequestException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small part of JSON (RFC 8259) that file headers need, written here because core depends on
 * no JSON library. Writing escapes strings; parsing is a recursive-descent parser over a bounded
 * input that yields {@link LinkedHashMap} for objects (duplicate keys refused), {@link List} for
 * arrays, {@link String}, {@link Long} for integers, {@link Double} for other numbers, {@link
 * Boolean} and {@code null}. Nesting is limited to {@value #MAX_DEPTH} levels so that forged input
 * cannot exhaust the stack. {@code O(length)}. Thread-safe (each parse has its own state).
 */
final class JsonText {
  static final int MAX_DEPTH = 32;

  private final String text;
  private int at;

  private JsonText(String text) {
    this.text = text;
  }

  /**
   * Appends {@code s} as a JSON string literal.
   *
   * @throws InvalidRequestException with code {@code INVALID_METADATA} when {@code s} holds an
   *     unpaired surrogate, which no UTF-8 file can carry
   */
  static StringBuilder string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            out.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            throw new InvalidRequestException("INVALID_METADATA", "the string " + s.substring(0, i) + "… holds an unpaired surrogate at " + i + "; pass valid Unicode text");
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"');
  }

  /**
   * Parses one JSON value from {@code length} bytes of UTF-8 at {@code offset}; whitespace may
   * surround it, nothing else.
   *
   * @throws InvalidRequestException with code {@code MALFORMED_SAFETENSORS} for invalid UTF-8 or JSON
   */
  static Object parse(byte[] bytes, int offset, int length) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes, offset, length))
              .toString();
    } catch (CharacterCodingException e) {
      throw error("the header is not valid UTF-8");
    }
    JsonText p = new JsonText(text);
    p.skipSpace();
    Object value = p.value(0);
    p.skipSpace();
    if (p.at != text.length()) throw p.fail("unexpected text after the JSON value");
    return value;
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) throw fail("nesting deeper than " + MAX_DEPTH);
    if (at >= text.length()) throw fail("the JSON ends early");
    char c = text.charAt(at);
    return switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) yield number();
        throw fail("unexpected character '" + c + "'");
      }
    };
  }

  private Map<String, Object> object(int depth) {
    var map = new LinkedHashMap<String, Object>();
    at++;
    skipSpace();
    if (peek() == '}') {
      at++;
      return map;
    }
    while (true) {
      skipSpace();
      if (peek() != '"') throw fail("expected a key");
      String key = string();
      skipSpace();
      expect(':');
      skipSpace();
      Object v = value(depth + 1);
      if (map.containsKey(key)) throw fail("the key " + key + " appears twice");
      map.put(key, v);
      skipSpace();
      char c = next();
      if (c == '}') return map;
      if (c != ',') throw fail("expected , or }");
    }
  }

  private List<Object> array(int depth) {
    var list = new ArrayList<Object>();
    at++;
    skipSpace();
    if (peek() == ']') {
      at++;
      return list;
    }
    while (true) {
      skipSpace();
      list.add(value(depth + 1));
      skipSpace();
      char c = next();
      if (c == ']') return list;
      if (c != ',') throw fail("expected , or ]");
    }
  }

  private String string() {
    expect('"');
    var sb = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') return sb.toString();
      if (c < 0x20) throw fail("a raw control character in a string");
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (at + 4 > text.length()) throw fail("a \\u escape ends early");
          try {
            sb.append((char) Integer.parseInt(text, at, at + 4, 16));
          } catch (NumberFormatException ex) {
            throw fail("a bad \\u escape");
          }
          at += 4;
        }
        default -> throw fail("an unknown escape \\" + e);
      }
    }
  }

  private Object number() {
    int start = at;
    if (peek() == '-') at++;
    boolean integer = true;
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c >= '0' && c <= '9') {
        at++;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integer = false;
        at++;
      } else {
        break;
      }
    }
    String token = text.substring(start, at);
    try {
      if (integer) return Long.parseLong(token);
      double d = Double.parseDouble(token);
      if (!Double.isFinite(d) || token.endsWith(".") || token.startsWith(".") || token.startsWith("-.")) throw new NumberFormatException();
      return d;
    } catch (NumberFormatException e) {
      throw fail("the number " + token + " is not valid or out of range");
    }
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, at)) throw fail("unexpected text");
    at += word.length();
    return value;
  }

  private void skipSpace() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      at++;
    }
  }

  private char peek() {
    if (at >= text.length()) throw fail("the JSON ends early");
    return text.charAt(at);
  }

  private char next() {
    char c = peek();
    at++;
    return c;
  }

  private void expect(char c) {
    if (next() != c) throw fail("expected " + c);
  }

  private InvalidRequestException fail(String why) {
    return error("bad JSON at character " + at + ": " + why);
  }

  private static InvalidRequestException error(String why) {
    return new InvalidRequestException("MALFORMED_SAFETENSORS", "the safetensors file is malformed: " + why);
  }
}
