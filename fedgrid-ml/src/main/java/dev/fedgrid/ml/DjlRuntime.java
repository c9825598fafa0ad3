package dev.fedgrid.ml;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts DJL's PyTorch engine once per process with FedGrid's settings.
 *
 * <p>The first start extracts the PyTorch native library (about 430 MB) from the bundled jar into
 * DJL's engine cache, which takes seconds; so every process and test of one user shares one cache,
 * {@code ~/.fedgrid/cache/djl}, instead of one per data directory. The cache root is, in order of
 * precedence, the system property {@value #CACHE_PROPERTY}, the environment variable {@value
 * #CACHE_ENV}, or {@code ~/.fedgrid/cache}. Before the engine loads this class sets, unless they are
 * already set:
 *
 * <ul>
 *   <li>{@code DJL_CACHE_DIR} and {@code ENGINE_CACHE_DIR} to {@code <cache>/djl} (DJL reads an
 *       environment variable of the same name first, so an exported {@code DJL_CACHE_DIR} wins);
 *   <li>{@code ai.djl.offline=true}: the native library is bundled, nothing is downloaded;
 *   <li>{@code ai.djl.pytorch.num_threads=1} and {@code ai.djl.pytorch.num_interop_threads=1}: each
 *       training task uses one intra-op thread, and parallelism comes from running several tasks at
 *       once, which on small models is about twice as fast as sharing the cores inside one task.
 * </ul>
 *
 * <p>Thread-safe.
 */
final class DjlRuntime {
  static final String CACHE_PROPERTY = "fedgrid.cache.dir";
  static final String CACHE_ENV = "FEDGRID_CACHE_DIR";
  static final String ENGINE_NAME = "PyTorch";

  private static final Logger log = LoggerFactory.getLogger(DjlRuntime.class);
  private static volatile Engine engine;

  private DjlRuntime() {}

  /**
   * The started PyTorch engine; starts it on the first call.
   *
   * @throws TrainingException when the engine cannot start
   */
  static Engine engine() {
    Engine e = engine;
    if (e != null) return e;
    synchronized (DjlRuntime.class) {
      if (engine == null) engine = start();
      return engine;
    }
  }

  /** The cache root shared by every FedGrid process of this user. */
  static Path cacheDirectory() {
    String dir = System.getProperty(CACHE_PROPERTY);
    if (dir == null || dir.isBlank()) dir = System.getenv(CACHE_ENV);
    if (dir == null || dir.isBlank()) return Path.of(System.getProperty("user.home"), ".fedgrid", "cache");
    return Path.of(dir);
  }

  private static Engine start() {
    Path djlCache = cacheDirectory().resolve("djl").toAbsolutePath();
    setIfAbsent("DJL_CACHE_DIR", djlCache.toString());
    setIfAbsent("ENGINE_CACHE_DIR", djlCache.toString());
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("ai.djl.pytorch.num_threads", "1");
    setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    long started = System.nanoTime();
    try {
      Engine e = Engine.getEngine(ENGINE_NAME);
      log.info(
          "started {} {} in {} ms: {} intra-op and {} inter-op threads, native cache {}",
          ENGINE_NAME,
          e.getVersion(),
          (System.nanoTime() - started) / 1_000_000,
          JniUtils.getNumThreads(),
          JniUtils.getNumInteropThreads(),
          djlCache);
      return e;
    } catch (RuntimeException | LinkageError e) {
      throw new TrainingException(
          "the PyTorch engine failed to start (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "); check that "
              + djlCache + " is writable with about 500 MB free (or point " + CACHE_ENV + " elsewhere) and that the "
              + "pytorch-native-cpu jar matches this platform",
          e);
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) System.setProperty(key, value);
  }
}
