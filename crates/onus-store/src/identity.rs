//! Organisations, users, sessions, API tokens and the login rate limit.
//!
//! Passwords arrive here already hashed (argon2id, by the server). Session ids and API tokens
//! are random 256-bit values stored as their SHA-256 (a plain hash suffices: they are not
//! guessable, unlike passwords), so lookups are one indexed read.

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::access::{OrgKind, OrgRef, Principal, Role};
use crate::db::REVISION_COL;
use crate::{new_id, random_token, sha256_hex, stamp, Page, Result, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    pub org_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub instance_admin: bool,
    pub lang: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub role: Role,
    pub created_by: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A new session: the cookie value and the CSRF token forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    pub expires_at: String,
}

/// What signing in needs about a user.
#[derive(Debug, Clone)]
pub struct LoginUser {
    pub id: String,
    pub password_hash: String,
}

pub(crate) fn org_from(row: &AnyRow) -> Result<OrgRef> {
    let kind: String = row.try_get("kind")?;
    Ok(OrgRef {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        kind: OrgKind::parse(&kind).ok_or_else(|| StoreError::Data(format!("org kind {kind}")))?,
    })
}

fn user_from(row: &AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Data(format!("role {role}")))?,
        instance_admin: row.try_get::<i64, _>("instance_admin")? != 0,
        lang: row.try_get("lang")?,
        created_at: row.try_get("created_at")?,
    })
}

fn token_from(row: &AnyRow) -> Result<TokenInfo> {
    let role: String = row.try_get("role")?;
    Ok(TokenInfo {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Data(format!("role {role}")))?,
        created_by: row.try_get("user_id")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// A slug: lowercase letters, digits and dashes, 2 to 40 characters, starting with a letter.
pub fn valid_slug(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn valid_email(s: &str) -> bool {
    let s = s.trim();
    s.len() <= 254
        && s.split_once('@').is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && !s.contains(char::is_whitespace)
        })
}

const USER_COLS: &str = "id, org_id, email, name, role, instance_admin, lang, created_at";

/// The columns [`principal_from`] reads: a user (`u`) and its organisation (`o`).
const PRINCIPAL_COLS: &str =
    "u.id AS uid, u.email, u.name AS uname, u.role AS urole, u.instance_admin, u.lang, \
     o.id AS oid, o.slug, o.name AS oname, o.kind";

fn principal_from(r: &AnyRow) -> Result<Principal> {
    let role: String = r.try_get("urole")?;
    let org = match r.try_get::<Option<String>, _>("oid")? {
        None => None,
        Some(id) => {
            let kind: String = r.try_get("kind")?;
            Some(OrgRef {
                id,
                slug: r.try_get("slug")?,
                name: r.try_get("oname")?,
                kind: OrgKind::parse(&kind)
                    .ok_or_else(|| StoreError::Data(format!("org kind {kind}")))?,
            })
        }
    };
    Ok(Principal {
        user_id: r.try_get("uid")?,
        name: r.try_get("uname")?,
        email: r.try_get("email")?,
        org,
        role: Role::parse(&role).ok_or_else(|| StoreError::Data(format!("role {role}")))?,
        instance_admin: r.try_get::<i64, _>("instance_admin")? != 0,
        token_id: None,
        lang: r.try_get("lang")?,
    })
}

impl Store {
    /// Whether an instance administrator exists (an empty database has none).
    pub async fn has_instance_admin(&self) -> Result<bool> {
        let row = self
            .fetch_optional(sqlx::query(
                "SELECT id FROM users WHERE instance_admin = 1 LIMIT 1",
            ))
            .await?;
        Ok(row.is_some())
    }

    /// Creates the instance administrator when there is none. Returns `None` when one exists.
    pub async fn bootstrap_admin(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> Result<Option<User>> {
        let mut w = self.write_system().await?;
        let exists = sqlx::query("SELECT id FROM users WHERE instance_admin = 1 LIMIT 1")
            .fetch_optional(&mut *w.tx)
            .await?;
        if exists.is_some() {
            return Ok(None);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO users (id, org_id, email, name, role, instance_admin, password_hash, created_at) \
             VALUES ($1, NULL, $2, $3, 'admin', 1, $4, $5)",
        )
        .bind(&id)
        .bind(email)
        .bind(name)
        .bind(password_hash)
        .bind(&w.at)
        .execute(&mut *w.tx)
        .await?;
        w.log(None, "instance.bootstrap", &id, json!({"email": email}))
            .await?;
        let at = w.at.clone();
        w.commit().await?;
        Ok(Some(User {
            id,
            org_id: None,
            email: email.into(),
            name: name.into(),
            role: Role::Admin,
            instance_admin: true,
            lang: None,
            created_at: at,
        }))
    }

    /// Creates an organisation (instance administrator only).
    pub async fn create_org(
        &self,
        p: &Principal,
        slug: &str,
        name: &str,
        kind: OrgKind,
    ) -> Result<OrgRef> {
        p.instance_admin()?;
        if !valid_slug(slug) {
            return Err(StoreError::Invalid {
                field: "slug",
                message: "2 to 40 lowercase letters, digits or dashes, starting with a letter"
                    .into(),
            });
        }
        if name.trim().is_empty() || name.len() > 200 {
            return Err(StoreError::Invalid {
                field: "name",
                message: "a name of 1 to 200 characters".into(),
            });
        }
        let mut w = self.write(p).await?;
        if sqlx::query("SELECT id FROM orgs WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *w.tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict {
                field: "slug",
                message: format!("an organisation `{slug}` exists"),
            });
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO orgs (id, slug, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(slug)
        .bind(name.trim())
        .bind(kind.as_str())
        .bind(&w.at)
        .execute(&mut *w.tx)
        .await?;
        w.log(
            Some(&id),
            "org.create",
            &id,
            json!({"slug": slug, "name": name.trim(), "kind": kind.as_str()}),
        )
        .await?;
        w.commit().await?;
        Ok(OrgRef {
            id,
            slug: slug.into(),
            name: name.trim().into(),
            kind,
        })
    }

    /// The organisations the principal may know of: the instance administrator sees all; a
    /// user sees its own, every provider, and (for a provider) the customers subscribed to
    /// its models.
    pub async fn list_orgs(&self, p: &Principal) -> Result<Vec<OrgRef>> {
        let rows = if p.instance_admin {
            self.fetch_all(sqlx::query(
                "SELECT id, slug, name, kind FROM orgs ORDER BY name",
            ))
            .await?
        } else {
            let own = p.org.as_ref().map(|o| o.id.clone()).unwrap_or_default();
            self.fetch_all(
                sqlx::query(
                    "SELECT id, slug, name, kind FROM orgs WHERE id = $1 OR kind = 'provider' \
                     OR id IN (SELECT s.org_id FROM subscriptions s JOIN models m ON m.id = s.model_pk WHERE m.org_id = $1) \
                     ORDER BY name",
                )
                .bind(own),
            )
            .await?
        };
        rows.iter().map(org_from).collect()
    }

    /// One organisation by slug, if the principal may know of it (see [`Store::list_orgs`]).
    pub async fn org_by_slug(&self, p: &Principal, slug: &str) -> Result<OrgRef> {
        if !valid_slug(slug) {
            return Err(StoreError::NotFound("organisation"));
        }
        // The principal's own organisation was read with it, in this request.
        if let Some(own) = p.org.as_ref().filter(|o| o.slug == slug) {
            return Ok(own.clone());
        }
        let row = self
            .fetch_optional(
                sqlx::query("SELECT id, slug, name, kind FROM orgs WHERE slug = $1").bind(slug),
            )
            .await?
            .ok_or(StoreError::NotFound("organisation"))?;
        let org = org_from(&row)?;
        if p.instance_admin || p.is_member_of(&org.id) || org.kind == OrgKind::Provider {
            return Ok(org);
        }
        if let Some(own) = &p.org {
            if own.kind == OrgKind::Provider {
                let sub = self
                    .fetch_optional(
                        sqlx::query(
                            "SELECT s.id FROM subscriptions s JOIN models m ON m.id = s.model_pk \
                             WHERE s.org_id = $1 AND m.org_id = $2 LIMIT 1",
                        )
                        .bind(&org.id)
                        .bind(&own.id),
                    )
                    .await?;
                if sub.is_some() {
                    return Ok(org);
                }
            }
        }
        Err(StoreError::NotFound("organisation"))
    }

    /// Creates a user in an organisation: its admins, or the instance administrator (who
    /// creates first admins), may.
    pub async fn create_user(
        &self,
        p: &Principal,
        org_id: &str,
        email: &str,
        name: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<User> {
        if !p.instance_admin {
            p.admin(org_id)?;
        }
        if !valid_email(email) {
            return Err(StoreError::Invalid {
                field: "email",
                message: "an e-mail address (name@domain)".into(),
            });
        }
        if name.trim().is_empty() || name.len() > 200 {
            return Err(StoreError::Invalid {
                field: "name",
                message: "a name of 1 to 200 characters".into(),
            });
        }
        let email = email.trim().to_lowercase();
        let mut w = self.write(p).await?;
        if sqlx::query("SELECT id FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *w.tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound("organisation"));
        }
        if sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *w.tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict {
                field: "email",
                message: format!("a user with e-mail `{email}` exists"),
            });
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO users (id, org_id, email, name, role, instance_admin, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&email)
        .bind(name.trim())
        .bind(role.as_str())
        .bind(password_hash)
        .bind(&w.at)
        .execute(&mut *w.tx)
        .await?;
        w.log(
            Some(org_id),
            "user.create",
            &id,
            json!({"email": email, "role": role.as_str()}),
        )
        .await?;
        let at = w.at.clone();
        w.commit().await?;
        Ok(User {
            id,
            org_id: Some(org_id.into()),
            email,
            name: name.trim().into(),
            role,
            instance_admin: false,
            lang: None,
            created_at: at,
        })
    }

    /// The organisation's users (its members may list them).
    pub async fn list_users(&self, p: &Principal, org_id: &str) -> Result<Vec<User>> {
        if !p.instance_admin {
            p.read(org_id)?;
        }
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT {USER_COLS} FROM users WHERE org_id = $1 ORDER BY name"
                ))
                .bind(org_id),
            )
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// The user's preferred language (`en`, `fr`), their own choice.
    pub async fn set_lang(&self, p: &Principal, lang: &str) -> Result<()> {
        let mut w = self.write(p).await?;
        sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
            .bind(lang)
            .bind(&p.user_id)
            .execute(&mut *w.tx)
            .await?;
        w.log(
            p.org.as_ref().map(|o| o.id.as_str()),
            "user.lang",
            &p.user_id,
            json!({"lang": lang}),
        )
        .await?;
        w.commit().await
    }

    /// What signing in needs: the user's id and password hash, by e-mail.
    pub async fn login_user(&self, email: &str) -> Result<Option<LoginUser>> {
        let row = self
            .fetch_optional(
                sqlx::query("SELECT id, password_hash FROM users WHERE email = $1")
                    .bind(email.trim().to_lowercase()),
            )
            .await?;
        row.map(|r| {
            Ok(LoginUser {
                id: r.try_get("id")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    async fn principal_of_user(&self, user_id: &str) -> Result<Option<Principal>> {
        let row = self
            .fetch_optional(
                sqlx::query(&format!(
                    "SELECT {PRINCIPAL_COLS} FROM users u LEFT JOIN orgs o ON o.id = u.org_id WHERE u.id = $1"
                ))
                .bind(user_id),
            )
            .await?;
        row.as_ref().map(principal_from).transpose()
    }

    /// Opens a session for a user whose password the caller verified.
    pub async fn create_session(&self, user_id: &str, ttl: chrono::Duration) -> Result<Session> {
        let p = self
            .principal_of_user(user_id)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let id = random_token();
        let csrf = random_token();
        let mut w = self.write(&p).await?;
        // Expired sessions are forgotten as new ones open (they grant nothing already).
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(&w.at)
            .execute(&mut *w.tx)
            .await?;
        let expires = stamp(chrono::Utc::now() + ttl);
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, org_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sha256_hex(id.as_bytes()))
        .bind(user_id)
        .bind(p.org.as_ref().map(|o| o.id.clone()))
        .bind(&csrf)
        .bind(&w.at)
        .bind(&expires)
        .execute(&mut *w.tx)
        .await?;
        w.log(
            p.org.as_ref().map(|o| o.id.as_str()),
            "auth.login",
            user_id,
            json!({}),
        )
        .await?;
        w.commit().await?;
        Ok(Session {
            id,
            csrf,
            expires_at: expires,
        })
    }

    /// The principal of a live session, and the session's CSRF token.
    pub async fn session(&self, id: &str) -> Result<Option<(Principal, String)>> {
        Ok(self.session_at(id).await?.map(|(p, csrf, _)| (p, csrf)))
    }

    /// [`Store::session`] with the store's [revision](Store::revision), read in the same
    /// statement: a request that authenticates this way and then only reads may key what it
    /// computes by it without a query of its own.
    pub async fn session_at(&self, id: &str) -> Result<Option<(Principal, String, i64)>> {
        // One query on every request: the session with its user and organisation.
        let row = self
            .fetch_optional(
                sqlx::query(&format!(
                    "SELECT s.csrf, s.expires_at, {PRINCIPAL_COLS}, {REVISION_COL} FROM sessions s \
                     JOIN users u ON u.id = s.user_id LEFT JOIN orgs o ON o.id = u.org_id \
                     WHERE s.id_hash = $1"
                ))
                .bind(sha256_hex(id.as_bytes())),
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let expires: String = r.try_get("expires_at")?;
        if expires <= crate::now() {
            return Ok(None);
        }
        let csrf: String = r.try_get("csrf")?;
        Ok(Some((principal_from(&r)?, csrf, r.try_get("revision")?)))
    }

    /// Ends a session (signing out).
    pub async fn end_session(&self, p: &Principal, id: &str) -> Result<()> {
        let mut w = self.write(p).await?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND user_id = $2")
            .bind(sha256_hex(id.as_bytes()))
            .bind(&p.user_id)
            .execute(&mut *w.tx)
            .await?;
        w.log(
            p.org.as_ref().map(|o| o.id.as_str()),
            "auth.logout",
            &p.user_id,
            json!({}),
        )
        .await?;
        w.commit().await
    }

    /// Creates an API token for the organisation (its admins and members), acting with
    /// `role`, at most the creator's. Returns the token (shown once) and its record.
    pub async fn create_token(
        &self,
        p: &Principal,
        org_id: &str,
        name: &str,
        role: Role,
    ) -> Result<(String, TokenInfo)> {
        p.write(org_id)?;
        if p.token_id.is_some() {
            return Err(StoreError::Forbidden("an API token cannot create tokens"));
        }
        if role.rank() > p.role.rank() {
            return Err(StoreError::Invalid {
                field: "role",
                message: format!(
                    "a token cannot have more rights than you ({})",
                    p.role.as_str()
                ),
            });
        }
        if name.trim().is_empty() || name.len() > 100 {
            return Err(StoreError::Invalid {
                field: "name",
                message: "a name of 1 to 100 characters".into(),
            });
        }
        let token = format!("onus_{}", random_token());
        let prefix: String = token.chars().take(12).collect();
        let id = new_id();
        let mut w = self.write(p).await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, org_id, user_id, name, token_hash, prefix, role, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&p.user_id)
        .bind(name.trim())
        .bind(sha256_hex(token.as_bytes()))
        .bind(&prefix)
        .bind(role.as_str())
        .bind(&w.at)
        .execute(&mut *w.tx)
        .await?;
        w.log(
            Some(org_id),
            "token.create",
            &id,
            json!({"name": name.trim(), "role": role.as_str(), "prefix": prefix}),
        )
        .await?;
        let at = w.at.clone();
        w.commit().await?;
        Ok((
            token,
            TokenInfo {
                id,
                org_id: org_id.into(),
                name: name.trim().into(),
                prefix,
                role,
                created_by: p.user_id.clone(),
                created_at: at,
                last_used_at: None,
                revoked_at: None,
            },
        ))
    }

    pub async fn list_tokens(
        &self,
        p: &Principal,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<TokenInfo>> {
        p.read(org_id)?;
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT id, org_id, user_id, name, prefix, role, created_at, last_used_at, revoked_at \
                     FROM api_tokens WHERE org_id = $1 ORDER BY created_at DESC LIMIT $2 OFFSET $3",
                )
                .bind(org_id)
                .bind(page.limit)
                .bind(page.offset),
            )
            .await?;
        rows.iter().map(token_from).collect()
    }

    /// Revokes a token: its creator or the organisation's admins may.
    pub async fn revoke_token(&self, p: &Principal, org_id: &str, token_id: &str) -> Result<()> {
        p.write(org_id)?;
        let mut w = self.write(p).await?;
        let row = sqlx::query("SELECT user_id FROM api_tokens WHERE id = $1 AND org_id = $2")
            .bind(token_id)
            .bind(org_id)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or(StoreError::NotFound("token"))?;
        let creator: String = row.try_get("user_id")?;
        if creator != p.user_id && p.role != Role::Admin {
            return Err(StoreError::Forbidden(
                "only the token's creator or an admin may revoke it",
            ));
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(w.at.clone())
            .bind(token_id)
            .execute(&mut *w.tx)
            .await?;
        w.log(Some(org_id), "token.revoke", token_id, json!({}))
            .await?;
        w.commit().await
    }

    /// The principal an API token acts as: its organisation, its role (never more than its
    /// creator's current role), `None` when unknown or revoked.
    pub async fn token_principal(&self, token: &str) -> Result<Option<Principal>> {
        Ok(self.token_principal_at(token).await?.map(|(p, _)| p))
    }

    /// [`Store::token_principal`] with the store's [revision](Store::revision), read in the
    /// same statement (see [`Store::session_at`]).
    pub async fn token_principal_at(&self, token: &str) -> Result<Option<(Principal, i64)>> {
        // One query on every request: the token with its user and the user's organisation.
        let row = self
            .fetch_optional(
                sqlx::query(&format!(
                    "SELECT t.id, t.org_id, t.role, t.revoked_at, t.last_used_at, {PRINCIPAL_COLS}, {REVISION_COL} \
                     FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN orgs o ON o.id = u.org_id \
                     WHERE t.token_hash = $1"
                ))
                .bind(sha256_hex(token.as_bytes())),
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        if r.try_get::<Option<String>, _>("revoked_at")?.is_some() {
            return Ok(None);
        }
        let id: String = r.try_get("id")?;
        let org: String = r.try_get("org_id")?;
        let role: String = r.try_get("role")?;
        let mut p = principal_from(&r)?;
        if !p.is_member_of(&org) {
            return Ok(None);
        }
        let role = Role::parse(&role).ok_or_else(|| StoreError::Data(format!("role {role}")))?;
        if role.rank() < p.role.rank() {
            p.role = role;
        }
        p.instance_admin = false;
        // Last use is bookkeeping, not a change of tenant data: not logged, and written at
        // most once a minute per token.
        let last: Option<String> = r.try_get("last_used_at")?;
        let now = crate::now();
        if last.as_deref().is_none_or(|l| l.get(..16) != now.get(..16)) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(&now)
                .bind(&id)
                .execute(&self.pool)
                .await?;
        }
        p.token_id = Some(id);
        Ok(Some((p, r.try_get("revision")?)))
    }

    /// Counts an attempt against `key` (e.g. `login:ip:1.2.3.4`) in a fixed window; returns
    /// whether it is allowed (at most `max` per window). Counters live in the database so that
    /// every instance behind a load balancer shares them.
    pub async fn rate_limit(&self, key: &str, window: chrono::Duration, max: i64) -> Result<bool> {
        let now = chrono::Utc::now();
        let start = stamp(now - window);
        let now_s = stamp(now);
        // One statement each way, so that concurrent attempts do not lose counts.
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE login_attempts SET window_start = $1, count = 0 WHERE key = $2 AND window_start < $3",
        )
        .bind(&now_s)
        .bind(key)
        .bind(&start)
        .execute(&mut *tx)
        .await?;
        let updated = sqlx::query(
            "UPDATE login_attempts SET count = count + 1 WHERE key = $1 RETURNING count",
        )
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let count: i64 = match updated {
            Some(r) => r.try_get("count")?,
            None => {
                sqlx::query(
                    "INSERT INTO login_attempts (key, window_start, count) VALUES ($1, $2, 1) \
                     ON CONFLICT (key) DO UPDATE SET count = login_attempts.count + 1",
                )
                .bind(key)
                .bind(&now_s)
                .execute(&mut *tx)
                .await?;
                1
            }
        };
        tx.commit().await?;
        Ok(count <= max)
    }

    /// Forgets the counter of `key` (after a successful sign-in).
    pub async fn rate_limit_reset(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_attempts WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(valid_slug("ovhcloud"));
        assert!(valid_slug("shop-sas-2"));
        assert!(!valid_slug("Shop"));
        assert!(!valid_slug("-a"));
        assert!(!valid_slug("a"));
        assert!(!valid_slug("a/b"));
    }
}
