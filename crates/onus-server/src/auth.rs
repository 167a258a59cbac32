//! Who is calling: session cookies (the browser) and API tokens (`Authorization: Bearer`),
//! passwords, CSRF and the sign-in rate limit.
//!
//! Security decisions, here where they are enforced:
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes).
//!   API tokens and session ids are 256-bit random values; the store keeps their SHA-256.
//! - The session cookie is `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` when the server
//!   serves TLS or is told it is behind a TLS proxy.
//! - CSRF: a request authenticated by the session cookie that changes anything must carry the
//!   session's CSRF token (header `X-CSRF-Token` for the API, field `csrf` in forms). Bearer
//!   tokens are not sent by browsers on their own, so they need none. The sign-in form, before
//!   any session, uses a double-submit cookie.
//! - Sign-in is rate-limited per e-mail address and per client address, with counters in the
//!   database (shared by every instance). A failed sign-in says only that the e-mail or the
//!   password is wrong.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use onus_store::Principal;

use crate::error::ApiError;
use crate::App;

pub const SESSION_COOKIE: &str = "onus_session";
pub const LOGIN_CSRF_COOKIE: &str = "onus_login_csrf";
pub const LANG_COOKIE: &str = "onus_lang";

/// An argon2id hash of a password.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Whether `password` matches `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks a new password: long enough to resist guessing, not absurdly long.
pub fn check_password(field: &str, password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < 12 {
        return Err(ApiError::invalid(
            field,
            "a password has at least 12 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(ApiError::invalid(
            field,
            "a password has at most 1024 bytes",
        ));
    }
    Ok(())
}

/// A random password for one-time use (new users, the instance administrator).
pub fn generate_password() -> String {
    // 24 characters from a 31-letter alphabet without look-alikes: about 119 bits.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    onus_store::random_token()
        .as_bytes()
        .chunks(2)
        .take(24)
        .map(|pair| {
            let v = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0);
            ALPHABET[usize::from(v) % ALPHABET.len()] as char
        })
        .collect()
}

/// A value of the request's `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with onus's attributes.
pub fn set_cookie(app: &App, name: &str, value: &str, max_age_secs: i64) -> String {
    let secure = if app.config.tls.is_some() || app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth {
    pub p: Principal,
    /// The session's id and CSRF token, when authenticated by cookie.
    pub session: Option<(String, String)>,
    /// The store's revision, read with the principal in the same statement. Data read later
    /// in the request is at least as new, so a handler that only reads may key its cached
    /// views by it ([`App::org_views_at`]); one that writes first must not (its own write
    /// would not be seen), and reads the revision again ([`App::org_views`]).
    pub revision: i64,
}

impl Auth {
    /// Checks a form's CSRF token (cookie sessions only; bearer tokens need none).
    pub fn check_csrf(&self, token: &str) -> Result<(), ApiError> {
        match &self.session {
            Some((_, csrf)) if !constant_time_eq(csrf.as_bytes(), token.as_bytes()) => {
                Err(ApiError::csrf())
            }
            _ => Ok(()),
        }
    }

    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |(_, c)| c.as_str())
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn authenticate(parts: &Parts, app: &App) -> Result<Option<Auth>, ApiError> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION) {
        let token = v
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthenticated().field("Authorization"))?;
        return match app.store.token_principal_at(token.trim()).await? {
            Some((p, revision)) => Ok(Some(Auth {
                p,
                session: None,
                revision,
            })),
            None => Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "this API token is unknown or revoked",
            )
            .field("Authorization")),
        };
    }
    if let Some(id) = cookie(&parts.headers, SESSION_COOKIE) {
        if let Some((p, csrf, revision)) = app.store.session_at(id).await? {
            return Ok(Some(Auth {
                p,
                session: Some((id.to_string(), csrf)),
                revision,
            }));
        }
    }
    Ok(None)
}

impl FromRequestParts<App> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        authenticate(parts, app)
            .await?
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// The caller, if signed in.
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequestParts<App> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        // A bad or revoked token on a page is treated as signed out.
        Ok(MaybeAuth(authenticate(parts, app).await.ok().flatten()))
    }
}

/// The API's caller: [`Auth`], plus the CSRF header on changes made with a session cookie.
pub struct ApiAuth(pub Auth);

impl FromRequestParts<App> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, app).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            if let Some((_, csrf)) = &auth.session {
                let sent = parts
                    .headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
                    return Err(ApiError::csrf().field("X-CSRF-Token"));
                }
            }
        }
        Ok(ApiAuth(auth))
    }
}

/// The client's address (for the sign-in rate limit): the peer's, so behind a reverse proxy
/// it is the proxy's, and the per-e-mail limit is the one that matters.
pub struct ClientIp(pub String);

impl FromRequestParts<App> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "unknown".into(), |c| c.0.ip().to_string()),
        ))
    }
}

/// Signs in: rate limit, password check, new session. Returns the session's id and CSRF.
pub async fn sign_in(
    app: &App,
    ip: &str,
    email: &str,
    password: &str,
) -> Result<onus_store::identity::Session, ApiError> {
    let window = chrono::Duration::minutes(15);
    let max = app.config.login_attempts;
    let email_key = format!("login:email:{}", email.trim().to_lowercase());
    let ip_key = format!("login:ip:{ip}");
    let ok_email = app.store.rate_limit(&email_key, window, max).await?;
    let ok_ip = app.store.rate_limit(&ip_key, window, max * 5).await?;
    if !ok_email || !ok_ip {
        return Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many sign-in attempts: wait 15 minutes",
        ));
    }
    let user = app.store.login_user(email).await?;
    // Verify against a fixed hash when the user does not exist, so that timing does not tell.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3z1Yb8xkq+0q1R7mKx2rYQq5Yp9c0m3r8vQmVd4r2dE";
    let hash = user.as_ref().map_or(DUMMY, |u| u.password_hash.as_str());
    let verified = verify_password(password, hash);
    match (user, verified) {
        (Some(u), true) => {
            app.store.rate_limit_reset(&email_key).await?;
            Ok(app
                .store
                .create_session(&u.id, chrono::Duration::hours(app.config.session_hours))
                .await?)
        }
        _ => Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "wrong e-mail or password",
        )),
    }
}
