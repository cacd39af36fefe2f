// The one way the console talks to the cloud API.
//
// Why a wrapper: every state-changing request must carry the session's CSRF token
// (docs/SECURITY.md, CSRF), the session cookie must go along (same-origin only), errors come
// back as {"error","message"} and a lapsed session must send the user to the login page.
// Keeping this in one module means no page can forget one of those rules.

const kLoginPage = '/login.html';
const kEnrolmentPage = '/account.html?enrol=required';

// The CSRF token of the current session. It comes from the login response or from
// GET /api/v1/me; it is only ever kept in memory (never in storage another script could read).
let csrf_token = null;

/** An API error: HTTP status plus the server's error code and human message. */
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || '';
    this.body = body || {};
  }
}

/** Remembers the CSRF token handed out by login or /me. */
export function set_csrf_token(token) {
  csrf_token = typeof token === 'string' && token !== '' ? token : null;
}

/**
 * The page a signed-in user starts on: the operator's organisation list for the platform
 * operator (who has no tenant data to show), the account page for everyone else.
 * `user` is the "user" object of the login answer or of GET /api/v1/me.
 */
export function home_page(user) {
  return user && user.is_operator === true ? '/operator.html' : '/account.html';
}

/**
 * Where the answer of a login step sends the browser: the home page once the session is
 * fully authenticated ("stage":"full", or no stage from an older server), the enrolment
 * page when an organisation of the user requires two-factor authentication that the user
 * has not set up yet. Null for "totp_required": the login page asks for the code itself.
 */
export function page_after_login(result) {
  const stage = result && typeof result.stage === 'string' ? result.stage : 'full';
  if (stage === 'totp_enrolment_required') return kEnrolmentPage;
  if (stage === 'totp_required') return null;
  return home_page(result && result.user);
}

/** The stage of the session from GET /api/v1/me ("full" when the server does not say). */
export function session_stage(me) {
  const stage = me && me.session && typeof me.session.stage === 'string' ? me.session.stage : '';
  return stage === '' ? 'full' : stage;
}

/** Sends the browser to the account page in its enrolment mode (the only page such a session may use). */
export function go_to_enrolment() {
  if (window.location.pathname + window.location.search !== kEnrolmentPage) {
    window.location.replace(kEnrolmentPage);
  }
}

/** Sends the browser to the login page (the session is gone or never existed). */
export function go_to_login() {
  if (window.location.pathname !== kLoginPage) {
    window.location.assign(kLoginPage);
  }
}

async function parse_body(response) {
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('application/json')) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  const text = await response.text();
  return text === '' ? null : { text };
}

/**
 * Calls the API. `path` is an absolute path such as "/api/v1/me".
 * Options: body (sent as JSON), allow_unauthenticated (a 401 is thrown to the caller
 * instead of redirecting to the login page — for the login and start pages).
 * Resolves to the parsed JSON body (null for 204); rejects with ApiError.
 */
export async function api(method, path, options = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  // Public routes (login, the invitation link) need no session and so no CSRF token.
  const is_public = path === '/api/v1/auth/login' || path.startsWith('/api/v1/invitations/');
  if (method !== 'GET' && method !== 'HEAD' && !is_public) {
    if (csrf_token === null) {
      // A page that changes state before it fetched /me (should not happen): fetch it now.
      await load_me();
    }
    headers['X-CSRF-Token'] = csrf_token || '';
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch (network_error) {
    throw new ApiError(0, 'network', 'The cloud cannot be reached. Check your connection and try again.');
  }
  const body = await parse_body(response);
  if (response.ok) return body;

  const code = body && typeof body.error === 'string' ? body.error : '';
  const message = body && typeof body.message === 'string' ? body.message : '';
  if (response.status === 401 && !options.allow_unauthenticated) {
    set_csrf_token(null);
    go_to_login();
  }
  // A half-authenticated session (password given, second factor not yet): only the login
  // page can finish it. A session that must first set up an authenticator: the account page.
  if (response.status === 403 && code === 'second_factor_required' && !options.allow_unauthenticated) go_to_login();
  if (response.status === 403 && code === 'totp_enrolment_required' && !options.allow_unauthenticated) go_to_enrolment();
  throw new ApiError(response.status, code, message, body);
}

/** GET /api/v1/me; also refreshes the CSRF token. */
export async function load_me(options = {}) {
  const me = await api('GET', '/api/v1/me', options);
  set_csrf_token(me && me.csrf_token);
  return me;
}

/** POST /api/v1/auth/login; keeps the CSRF token of the new session. */
export async function login(email, password) {
  const result = await api('POST', '/api/v1/auth/login', {
    body: { email, password },
    allow_unauthenticated: true,
  });
  set_csrf_token(result && result.csrf_token);
  return result;
}

/**
 * POST /api/v1/auth/totp: the second login step with a one-time code or a recovery code.
 * The server replaces the session (cookie and CSRF token); the new token is kept.
 */
export async function login_second_factor({ code, recovery_code }) {
  const body = code !== undefined ? { code } : { recovery_code };
  const result = await api('POST', '/api/v1/auth/totp', { body, allow_unauthenticated: true });
  set_csrf_token(result && result.csrf_token);
  return result;
}

/** POST /api/v1/auth/logout, then the login page — also when the session had already lapsed. */
export async function logout() {
  try {
    await api('POST', '/api/v1/auth/logout', { allow_unauthenticated: true });
  } finally {
    set_csrf_token(null);
    window.location.assign(kLoginPage);
  }
}

/** Builds "/path?k=v&..." leaving out empty values. */
export function with_query(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** A sentence for the user from an ApiError (or any error). */
export function describe_error(error) {
  if (error instanceof ApiError) {
    if (error.status === 403 && error.code === 'forbidden') return 'Your role does not allow this action.';
    if (error.status === 403 && error.code === 'csrf') return 'The page is out of date. Reload it and try again.';
    if (error.status === 403 && error.code === 'second_factor_required') return 'Enter the code of your authenticator to finish logging in.';
    if (error.status === 403 && error.code === 'totp_enrolment_required') return 'Your organisation requires two-factor authentication. Set up your authenticator first.';
    if (error.status === 403 && error.code === 'org_requires_2fa') return 'This organisation requires two-factor authentication. Set up your authenticator on the Account page, then come back.';
    if (error.status === 404) return 'Not found, or you are not a member of this organisation.';
    if (error.message) return error.message;
    return `The request failed (HTTP ${error.status}${error.code ? `, ${error.code}` : ''}).`;
  }
  return 'Unexpected error. Reload the page and try again.';
}
