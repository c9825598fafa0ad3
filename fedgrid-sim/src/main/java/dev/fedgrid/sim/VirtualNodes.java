package dev.fedgrid.sim;

import dev.fedgrid.api.NodeId;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * The ids of a simulated population: node {@code i} is {@code node_} followed by {@code i} in the
 * ids' base-32 alphabet, zero-padded, so ids are derived on demand and never stored. Stateless.
 */
public final class VirtualNodes {
  private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
  private static final String DIGITS = new String(ALPHABET);

  private VirtualNodes() {}

  /** The id of node {@code index}. */
  public static NodeId id(int index) {
    char[] body = new char[26];
    java.util.Arrays.fill(body, '0');
    long v = index;
    for (int i = 25; v > 0; i--, v >>>= 5) body[i] = ALPHABET[(int) (v & 31)];
    return new NodeId("node_" + new String(body));
  }

  /** The index of a simulated node's id. */
  public static int index(NodeId id) {
    String body = id.value().substring(5);
    long v = 0;
    for (int i = 0; i < body.length(); i++) v = (v << 5) | DIGITS.indexOf(body.charAt(i));
    return (int) v;
  }

  /** Nodes {@code 0 .. size-1} as a list that creates each id when asked. */
  public static List<NodeId> population(int size) {
    return new Lazy(size);
  }

  private static final class Lazy extends AbstractList<NodeId> implements RandomAccess {
    private final int size;

    Lazy(int size) {
      this.size = size;
    }

    @Override
    public NodeId get(int index) {
      java.util.Objects.checkIndex(index, size);
      return id(index);
    }

    @Override
    public int size() {
      return size;
    }
  }
}
