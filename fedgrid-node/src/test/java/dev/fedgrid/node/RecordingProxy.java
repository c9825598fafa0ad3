package dev.fedgrid.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback TCP proxy to {@code 127.0.0.1:target} that records every byte in each direction: what
 * an eavesdropper on the fleet socket would see. Thread-safe.
 */
final class RecordingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int target;
  private final ByteArrayOutputStream toServer = new ByteArrayOutputStream();
  private final ByteArrayOutputStream toClient = new ByteArrayOutputStream();
  private final List<Socket> sockets = new ArrayList<>();

  RecordingProxy(int target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("recording-proxy").start(this::accept);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Every byte sent so far in both directions: client to server, then server to client. */
  byte[] recorded() {
    var all = new ByteArrayOutputStream();
    synchronized (toServer) {
      all.writeBytes(toServer.toByteArray());
    }
    synchronized (toClient) {
      all.writeBytes(toClient.toByteArray());
    }
    return all.toByteArray();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        synchronized (sockets) {
          sockets.add(client);
          sockets.add(upstream);
        }
        Thread.ofVirtual().start(() -> pump(client, upstream, toServer));
        Thread.ofVirtual().start(() -> pump(upstream, client, toClient));
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void pump(Socket from, Socket to, ByteArrayOutputStream record) {
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        synchronized (record) {
          record.write(buffer, 0, n);
        }
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // closed
    } finally {
      try {
        to.shutdownOutput();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  /** Whether {@code needle} occurs in {@code haystack}. */
  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
      return true;
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) s.close();
    }
  }
}
