// The control API client: every call goes through api(), which adds the bearer token and turns
// every failure (an API error body, an answer that is not JSON, an unreachable gateway) into an
// ApiError with a message a person can act on. A 401 ends the session: app.js listens for the
// 'fedgrid:unauthenticated' event and shows the login page with the API's message.
import { SseParser } from './sse.js';

const TOKEN_KEY = 'fedgrid.token';
const USER_KEY = 'fedgrid.user';
const BASE_KEY = 'fedgrid.apiBase';

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details ?? {};
  }
}

/** True for the gateway's answer to a route it does not have (a feature that has not landed). */
export function isMissingRoute(e) {
  return e instanceof ApiError && e.status === 404 && e.code === 'ROUTE_NOT_FOUND';
}

/** The API's origin (and path prefix), without a trailing slash; '' means this page's origin. */
export function apiBase() {
  const stored = localStorage.getItem(BASE_KEY);
  const configured = stored ?? document.querySelector('meta[name="fedgrid-api"]')?.content ?? '';
  return configured.trim().replace(/\/+$/, '');
}

export function setApiBase(url) {
  const value = (url ?? '').trim();
  if (value && !/^https?:\/\/[^/\s]+/.test(value)) {
    throw new ApiError(0, 'INVALID_API_ADDRESS', `"${value}" is not an http:// or https:// address; leave it empty to use the address this page came from`);
  }
  if (value) localStorage.setItem(BASE_KEY, value); else localStorage.removeItem(BASE_KEY);
}

function describeBase() {
  return apiBase() || location.origin;
}

/** The login session, kept in sessionStorage: it ends when the tab closes. */
export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  user: () => JSON.parse(sessionStorage.getItem(USER_KEY) ?? 'null'),
  save(token, user) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user ?? null));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
  /** Whether the user holds a permission; unknown (no permissions listed) counts as yes: the server decides. */
  can(permission) {
    const perms = session.user()?.permissions;
    return !Array.isArray(perms) || perms.includes(permission);
  },
};

export function url(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  return `${apiBase()}/api/v1${path}${qs ? `?${qs}` : ''}`;
}

function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  const token = session.token();
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

function networkError(e, target) {
  return new ApiError(0, 'NETWORK_ERROR',
    `Could not reach the control API at ${describeBase()} (${e.message || 'network error'}). `
    + `Check that the gateway is running and that the API address (Settings) is right${apiBase() ? ' and allows this page\'s origin (CORS)' : ''}.`,
    { url: target });
}

/** Turns a failed response into an ApiError; a 401 also ends the session (except for the login call itself). */
async function failure(res, path) {
  const text = await res.text().catch(() => '');
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  const error = body && typeof body.code === 'string'
    ? new ApiError(res.status, body.code, body.message || `the control API answered ${res.status} ${body.code}`, body.details)
    : new ApiError(res.status, `HTTP_${res.status}`,
      `The control API at ${describeBase()} answered ${res.status} ${res.statusText || ''} to ${path} without an error body. `
      + 'Is the API address in Settings the gateway\'s?');
  if (res.status === 401 && path !== '/login') {
    session.clear();
    window.dispatchEvent(new CustomEvent('fedgrid:unauthenticated', { detail: error }));
  }
  return error;
}

/**
 * Calls the control API and returns the decoded JSON answer (null for 204).
 *
 * @param path the path under /api/v1, such as '/jobs'
 * @param options method, body (sent as JSON), query (object), signal (AbortSignal)
 */
export async function api(path, { method = 'GET', body, query, signal } = {}) {
  const target = url(path, query);
  let res;
  try {
    res = await fetch(target, {
      method,
      headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw networkError(e, target);
  }
  if (!res.ok) throw await failure(res, path);
  if (res.status === 204) return null;
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'NOT_JSON',
      `The control API at ${describeBase()} answered ${path} with something that is not JSON. `
      + 'Is the API address in Settings the gateway\'s, and not this app\'s own address?');
  }
}

/** Fetches a file answer (such as a job report) with the token and returns it as a Blob. */
export async function fetchBlob(path, accept = '*/*') {
  const target = url(path);
  let res;
  try {
    res = await fetch(target, { headers: headers({ Accept: accept }) });
  } catch (e) {
    throw networkError(e, target);
  }
  if (!res.ok) throw await failure(res, path);
  return res.blob();
}

/** Downloads a file answer (such as a model) with the token, and hands it to the browser to save. */
export async function download(path, fallbackName) {
  const target = url(path);
  let res;
  try {
    res = await fetch(target, { headers: headers({ Accept: '*/*' }) });
  } catch (e) {
    throw networkError(e, target);
  }
  if (!res.ok) throw await failure(res, path);
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? fallbackName;
  const href = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}

/**
 * Follows a server-sent event stream with fetch(), because EventSource cannot send the
 * Authorization header the control API requires. Reconnects after a dropped connection with
 * Last-Event-ID, so no event is lost or repeated; returns when the server ends the stream (the
 * job finished) or signal aborts.
 *
 * @param onEvent called with {id, event, data} per event (data as text)
 * @param onStatus called with 'live', 'reconnecting' (with the error) or 'ended'
 */
export async function followEvents(path, { onEvent, onStatus = () => {}, signal }) {
  let lastId = null;
  let retryMs = 2000;
  while (!signal?.aborted) {
    const target = url(path);
    try {
      const res = await fetch(target, {
        headers: headers({ Accept: 'text/event-stream', ...(lastId === null ? {} : { 'Last-Event-ID': lastId }) }),
        signal,
        cache: 'no-store',
      });
      if (!res.ok) throw await failure(res, path);
      onStatus('live');
      const parser = new SseParser(e => {
        if (e.id !== null) lastId = e.id;
        onEvent(e);
      }, ms => { retryMs = ms; });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      onStatus('ended');
      return;
    } catch (e) {
      if (signal?.aborted || e.name === 'AbortError') return;
      if (e instanceof ApiError && e.status !== 0 && e.status !== 503) throw e; // a real refusal: do not retry
      onStatus('reconnecting', e instanceof ApiError ? e : networkError(e, target));
      await new Promise(resolve => setTimeout(resolve, retryMs));
    }
  }
}
