//! The instance's Ed25519 signing key: generated at first start, kept in `instance_keys`,
//! used to sign deletion certificates and exports. Its public key is public (the server
//! serves it at `/.well-known/onus/instance-key`); the secret never leaves the store but to
//! sign.
//!
//! The secret is stored as it is in the database: whoever reads the database can sign as the
//! instance, as whoever reads it can change everything else. Backups of the database must be
//! protected accordingly (docs/portal.md, "Deployment").

use serde::Serialize;
use sqlx::Row;

use crate::{new_id, Result, Store, StoreError};

/// The instance's public key.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceKey {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The first 16 hex digits of the SHA-256 of the raw public key.
    pub key_id: String,
    /// The raw 32-byte public key, base64.
    pub public_key: String,
    /// The same key as PEM (SubjectPublicKeyInfo), for OpenSSL and other tools.
    pub pem: String,
    pub created_at: String,
}

impl Store {
    /// Creates the instance's key when there is none (first start). Several instances
    /// starting at once on one PostgreSQL create one: the check runs under the log's lock.
    pub(crate) async fn ensure_instance_key(&self) -> Result<()> {
        if self.active_key_row().await?.is_some() {
            return Ok(());
        }
        let mut w = self.write_system().await?;
        let exists = sqlx::query("SELECT id FROM instance_keys WHERE retired_at IS NULL LIMIT 1")
            .fetch_optional(&mut *w.tx)
            .await?;
        if exists.is_some() {
            return Ok(());
        }
        let (secret, public) = onus_archive::cert::generate_key();
        let id = new_id();
        sqlx::query(
            "INSERT INTO instance_keys (id, algorithm, public_key, secret_key, created_at) VALUES ($1, 'ed25519', $2, $3, $4)",
        )
        .bind(&id)
        .bind(public.clone())
        .bind(secret)
        .bind(&w.at)
        .execute(&mut *w.tx)
        .await?;
        w.log(
            None,
            "instance.key",
            &id,
            serde_json::json!({"algorithm": "ed25519", "key_id": onus_archive::cert::key_id(&public), "public_key": onus_archive::cert::b64(&public)}),
        )
        .await?;
        w.commit().await
    }

    async fn active_key_row(&self) -> Result<Option<(Vec<u8>, Vec<u8>, String)>> {
        let r = self
            .fetch_optional(sqlx::query(
                "SELECT public_key, secret_key, created_at FROM instance_keys WHERE retired_at IS NULL ORDER BY created_at LIMIT 1",
            ))
            .await?;
        r.map(|r| {
            Ok((
                r.try_get("public_key")?,
                r.try_get("secret_key")?,
                r.try_get("created_at")?,
            ))
        })
        .transpose()
    }

    /// The instance's public key (anyone may know it).
    pub async fn instance_key(&self) -> Result<InstanceKey> {
        let (public, _, created_at) = self
            .active_key_row()
            .await?
            .ok_or(StoreError::NotFound("instance key"))?;
        Ok(InstanceKey {
            algorithm: "ed25519".into(),
            key_id: onus_archive::cert::key_id(&public),
            public_key: onus_archive::cert::b64(&public),
            pem: onus_archive::cert::public_key_pem(&public),
            created_at,
        })
    }

    /// The secret key, to sign with (certificates, export manifests).
    pub(crate) async fn secret_key(&self) -> Result<Vec<u8>> {
        Ok(self
            .active_key_row()
            .await?
            .ok_or(StoreError::NotFound("instance key"))?
            .1)
    }
}
