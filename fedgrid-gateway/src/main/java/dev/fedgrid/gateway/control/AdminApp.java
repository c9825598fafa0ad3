package dev.fedgrid.gateway.control;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.staticcontent.ClasspathHandlerConfig;
import io.helidon.webserver.staticcontent.StaticContentFeature;

/**
 * The admin web app ({@code fedgrid-admin-ui}) at {@value #PATH}: the static files the
 * fedgrid-admin-ui jar carries under {@value #LOCATION}, served when that jar is on the class path
 * (the {@code fedgrid} command has it). Public: the app's files hold no data, and the app logs in
 * to the control API itself.
 *
 * <p>{@code /admin} redirects to {@code /admin/}, which serves {@code index.html}. The files have
 * fixed names, so every answer says {@code Cache-Control: no-cache}: the browser keeps them but
 * asks again (a cheap 304) each time, and a new gateway's app is never mixed with an old one's.
 * These paths are not control API routes ({@link ControlServer#routes()}), so neither the OpenAPI
 * document nor the authorization matrix lists them.
 *
 * <p>Thread-safe: stateless.
 */
final class AdminApp {
  /** Where the app is served; its address is {@code http://host:port/admin/}. */
  static final String PATH = "/admin";
  /** Where the fedgrid-admin-ui jar keeps the app's files on the class path. */
  static final String LOCATION = "META-INF/fedgrid-admin-ui";

  private AdminApp() {}

  /** Whether the app's files are on the class path. */
  static boolean present() {
    return AdminApp.class.getClassLoader().getResource(LOCATION + "/index.html") != null;
  }

  /** Adds the redirect, the headers and the files to {@code routing}. */
  static void register(HttpRouting.Builder routing) {
    routing.get(PATH, (req, res) -> {
      res.status(Status.MOVED_PERMANENTLY_301);
      res.header(HeaderNames.LOCATION, PATH + "/");
      res.send();
    });
    routing.any(PATH + "/*", (req, res) -> {
      res.header(HeaderNames.CACHE_CONTROL, "no-cache");
      res.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
      res.header(HeaderNames.create("X-Frame-Options"), "DENY");
      res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
      res.next();
    });
    routing.register(PATH, StaticContentFeature.createService(ClasspathHandlerConfig.builder().location(LOCATION).welcome("index.html").build()));
  }
}
