//! The delivery worker, inside `onus serve` (no second program to run): it expands the
//! outbox into notifications and deliveries, sends announcements' reminders, and delivers
//! e-mails (SMTP through lettre) and webhooks (HTTP through reqwest), recording every attempt.
//!
//! Nothing it needs lives in memory: rows are claimed in the database with a lease
//! (`onus_store::notify`), so several instances on one PostgreSQL share the work without
//! sending anything twice, and a restart (or a `kill -9`) loses nothing: what was claimed and
//! not recorded is claimed again when its lease runs out. A receiver may then see a delivery
//! twice, always with the same idempotency key.
//!
//! **Webhooks** (docs/portal.md, "Webhooks"): `POST` of the delivery's JSON body with
//! `Content-Type: application/json`, `Idempotency-Key` and `Onus-Delivery` (the delivery's id,
//! the same at every attempt and replay), `Onus-Event` (the topic) and
//! `Onus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's
//! secret>`, as Stripe signs. A 2xx answer delivers it; anything else (or no answer within the
//! timeout) is retried with exponential backoff (`retry_base` × 2ⁿ, at most `retry_max`) until
//! `max_attempts`, then the delivery has failed (and can be replayed from the UI). Redirects
//! are not followed. Unless `allow_private` is set, a webhook never reaches a loopback,
//! private, link-local or otherwise non-public address (checked for IP literals and for every
//! address a host name resolves to): an organisation's admin cannot make the server probe its
//! own network.
//!
//! **E-mail**: one message per recipient, in the recipient's language, with
//! `Message-ID: <delivery-id@onus>` (the same at every attempt). A permanent SMTP refusal (5xx)
//! fails at once; a transient one (4xx, no connection) is retried as webhooks are.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use onus_store::notify::{Claimed, Outcome};
use onus_store::Store;
use sha2::Sha256;
use tokio::sync::{watch, Notify, Semaphore};

/// How the worker runs. `Default` is what `onus serve` uses without flags.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Run the worker in this instance.
    pub enabled: bool,
    /// The SMTP server (`smtp://host:25`, `smtps://user:pass@host`,
    /// `smtp://host:587?tls=required`); `None`: no e-mail.
    pub smtp: Option<String>,
    /// The sender of e-mails.
    pub mail_from: String,
    /// The portal's public URL, for links in e-mails.
    pub public_url: String,
    /// How often to look for work when nothing wakes the worker.
    pub poll: Duration,
    /// How long a claim holds before another instance may take the rows.
    pub lease: Duration,
    /// The first retry's delay; each next one doubles, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Attempts before a delivery fails for good.
    pub max_attempts: i64,
    /// Deliveries claimed at a time.
    pub batch: i64,
    /// Deliveries sent at once.
    pub concurrency: usize,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// Let webhooks reach loopback and private addresses (tests, a demo, a trusted network).
    pub allow_private: bool,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            enabled: true,
            smtp: None,
            mail_from: "onus <onus@localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            poll: Duration::from_secs(2),
            lease: Duration::from_secs(60),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(6 * 3600),
            max_attempts: 12,
            batch: 100,
            concurrency: 32,
            timeout: Duration::from_secs(10),
            allow_private: false,
        }
    }
}

/// How many deliveries one round claims: at most `batch`, and no more than the worker can
/// attempt before the lease runs out when every receiver takes its whole `timeout` (waves of
/// `concurrency`, one timeout spare). A claim outliving its lease could be taken by another
/// instance while this one still sends it: the receiver would see it twice.
pub fn claim_size(config: &WorkerConfig) -> i64 {
    let timeout = config.timeout.as_secs_f64().max(0.001);
    // Whole waves that fit, keeping one timeout of margin; at least one.
    let waves = ((config.lease.as_secs_f64() / timeout).floor() - 1.0).max(1.0);
    let concurrency = i64::try_from(config.concurrency.max(1)).unwrap_or(i64::MAX);
    // `waves` is at least 1 and at most a lease's seconds (an i64 in practice).
    let fit = concurrency.saturating_mul(waves.min(1e9) as i64);
    config.batch.min(fit).max(1)
}

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("SMTP server `{url}`: {message}")]
    Smtp { url: String, message: String },
    #[error("HTTP client: {0}")]
    Http(String),
}

type Smtp = AsyncSmtpTransport<Tokio1Executor>;

/// The worker's parts.
pub struct Worker {
    store: Store,
    config: WorkerConfig,
    /// This instance's name in leases.
    owner: String,
    http: reqwest::Client,
    smtp: Option<Smtp>,
    templates: Arc<minijinja::Environment<'static>>,
    wake: Arc<Notify>,
}

/// A resolver that keeps only public addresses (see the module's documentation).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("`{host}` resolves to no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether an address is on the public Internet (not loopback, private, link-local, shared,
/// documentation, multicast, unspecified; IPv4-mapped IPv6 judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            !(v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_multicast()
                || v.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v) => {
            if let Some(v4) = v.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v.segments();
            !(v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

/// Checks a webhook URL when it is registered: http or https, a host, and (unless private
/// addresses are allowed) no non-public IP literal.
pub fn check_url(url: &str, allow_private: bool) -> Result<(), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err(format!("`{}`: webhooks are http or https", u.scheme()));
    }
    let host = u.host_str().ok_or("the URL has no host")?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err("credentials do not go in the URL: the signature authenticates onus".into());
    }
    if !allow_private {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            if !is_public(ip) {
                return Err(format!(
                    "`{host}` is not a public address (this server does not send webhooks into its own network)"
                ));
            }
        }
        if host.eq_ignore_ascii_case("localhost") {
            return Err("`localhost` is not a public address".into());
        }
    }
    Ok(())
}

/// The `Onus-Signature` header's value for `body` at unix time `t`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Verifies an `Onus-Signature` header as a receiver does (docs/portal.md gives the same
/// code to copy): the timestamp within `tolerance_secs` of `now`, and the HMAC-SHA256 of
/// `"<t>.<body>"` with the secret, compared in constant time.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), String> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v),
            _ => {}
        }
    }
    let t = t.ok_or("no timestamp (t=) in the signature")?;
    if (now - t).abs() > tolerance_secs {
        return Err(format!("the signature is {}s old: a replay?", now - t));
    }
    let expected = signature(secret, t, body);
    let expected = expected.rsplit("v1=").next().unwrap_or("");
    if sigs
        .iter()
        .any(|s| crate::auth::constant_time_eq(s.as_bytes(), expected.as_bytes()))
    {
        Ok(())
    } else {
        Err("the signature does not match: wrong secret, or the body was altered".into())
    }
}

/// The delay before the attempt following `attempts` failed ones.
pub fn backoff(c: &WorkerConfig, attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    c.retry_base
        .checked_mul(2u32.saturating_pow(exp))
        .unwrap_or(c.retry_max)
        .min(c.retry_max)
}

impl Worker {
    pub fn new(
        store: Store,
        config: WorkerConfig,
        templates: Arc<minijinja::Environment<'static>>,
        wake: Arc<Notify>,
    ) -> Result<Worker, WorkerError> {
        let mut http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("onus/", env!("CARGO_PKG_VERSION"), " (webhooks)"))
            .pool_max_idle_per_host(config.concurrency);
        if !config.allow_private {
            http = http.dns_resolver(Arc::new(PublicOnly));
        }
        let http = http.build().map_err(|e| WorkerError::Http(e.to_string()))?;
        let smtp = match &config.smtp {
            None => None,
            Some(url) => Some(
                Smtp::from_url(url)
                    .map_err(|e| WorkerError::Smtp {
                        url: url.clone(),
                        message: e.to_string(),
                    })?
                    .timeout(Some(config.timeout))
                    .build(),
            ),
        };
        if let Err(e) = config.mail_from.parse::<Mailbox>() {
            return Err(WorkerError::Smtp {
                url: config.smtp.clone().unwrap_or_default(),
                message: format!("the sender `{}` is not an address: {e}", config.mail_from),
            });
        }
        Ok(Worker {
            store,
            config,
            owner: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            http,
            smtp,
            templates,
            wake,
        })
    }

    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut last_reminders = Instant::now() - Duration::from_secs(3600);
        loop {
            if *stop.borrow() {
                return;
            }
            let mut busy = false;
            match this.round(&mut last_reminders).await {
                Ok(n) => busy = n > 0,
                Err(e) => tracing::warn!("delivery worker: {e}"),
            }
            if busy {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(this.config.poll) => {}
                () = this.wake.notified() => {}
                r = stop.changed() => {
                    // The server is gone (its stop sender dropped): stop too.
                    if r.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// One round: expand, remind, deliver one batch. Returns how much it did.
    pub async fn round(
        self: &Arc<Self>,
        last_reminders: &mut Instant,
    ) -> Result<usize, onus_store::StoreError> {
        let lease =
            chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::seconds(60));
        let mut done = self
            .store
            .expand_outbox(&self.owner, lease, 500, self.smtp.is_some())
            .await?;
        if last_reminders.elapsed() >= self.config.poll {
            *last_reminders = Instant::now();
            done += self.store.send_reminders(&onus_store::now()).await?;
        }
        let batch = self
            .store
            .claim_deliveries(&self.owner, lease, claim_size(&self.config))
            .await?;
        if batch.is_empty() {
            return Ok(done);
        }
        done += batch.len();
        let limit = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut set = tokio::task::JoinSet::new();
        for d in batch {
            let this = self.clone();
            let limit = limit.clone();
            set.spawn(async move {
                let _permit = limit.acquire().await;
                this.deliver(d).await
            });
        }
        let mut outcomes = Vec::new();
        while let Some(r) = set.join_next().await {
            match r {
                Ok(o) => outcomes.push(o),
                Err(e) => tracing::error!("delivery task: {e}"),
            }
        }
        self.store.record_deliveries(&self.owner, &outcomes).await?;
        Ok(done)
    }

    async fn deliver(&self, d: Claimed) -> Outcome {
        let start = Instant::now();
        let (delivered, code, error, permanent) = match d.channel.as_str() {
            "webhook" => self.webhook(&d).await,
            "email" => self.email(&d).await,
            other => (false, None, Some(format!("unknown channel {other}")), true),
        };
        let attempts = d.attempts + 1;
        let retry_at =
            (!delivered && !permanent && attempts < self.config.max_attempts).then(|| {
                let wait = chrono::Duration::from_std(backoff(&self.config, attempts))
                    .unwrap_or(chrono::Duration::hours(1));
                onus_store::stamp(chrono::Utc::now() + wait)
            });
        Outcome {
            id: d.id,
            org_id: d.org_id,
            delivered,
            code,
            error,
            ms: i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX),
            retry_at,
        }
    }

    /// (delivered, response code, error, permanent failure)
    async fn webhook(&self, d: &Claimed) -> (bool, Option<i64>, Option<String>, bool) {
        if let Err(e) = check_url(&d.address, self.config.allow_private) {
            return (false, None, Some(e), true);
        }
        let Some(secret) = &d.secret else {
            return (
                false,
                None,
                Some("the webhook no longer exists".into()),
                true,
            );
        };
        let t = chrono::Utc::now().timestamp();
        let body = d.payload.clone().into_bytes();
        let res = self
            .http
            .post(&d.address)
            .header("content-type", "application/json")
            .header("idempotency-key", &d.id)
            .header("onus-delivery", &d.id)
            .header("onus-event", &d.topic)
            .header("onus-signature", signature(secret, t, &body))
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) => {
                let code = i64::from(r.status().as_u16());
                if r.status().is_success() {
                    (true, Some(code), None, false)
                } else {
                    (
                        false,
                        Some(code),
                        Some(format!("the receiver answered {}", r.status())),
                        false,
                    )
                }
            }
            Err(e) => {
                let mut msg = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(s) = src {
                    msg.push_str(&format!(": {s}"));
                    src = s.source();
                }
                (false, None, Some(msg), false)
            }
        }
    }

    async fn email(&self, d: &Claimed) -> (bool, Option<i64>, Option<String>, bool) {
        let Some(smtp) = &self.smtp else {
            return (
                false,
                None,
                Some("e-mail is not configured (--smtp-url)".into()),
                false,
            );
        };
        let msg = match self.message(d) {
            Ok(m) => m,
            Err(e) => return (false, None, Some(e), true),
        };
        match smtp.send(msg).await {
            Ok(r) => (true, Some(i64::from(u16::from(r.code()))), None, false),
            Err(e) => {
                let code = e.status().map(|c| i64::from(u16::from(c)));
                (false, code, Some(e.to_string()), e.is_permanent())
            }
        }
    }

    /// The e-mail of a delivery, rendered in the recipient's language.
    fn message(&self, d: &Claimed) -> Result<Message, String> {
        let v: serde_json::Value = serde_json::from_str(&d.payload).map_err(|e| e.to_string())?;
        let lang = match v.get("lang").and_then(|l| l.as_str()) {
            Some("fr") => "fr",
            _ => "en",
        };
        let ctx = minijinja::context! {
            lang => lang,
            m => v,
            url => self.config.public_url.trim_end_matches('/'),
        };
        let render = |name: &str| {
            self.templates
                .get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| format!("rendering {name}: {e}"))
        };
        let subject = render("email/subject.txt")?;
        let text = render("email/message.txt")?;
        let html = render("email/message.html")?;
        let name = v.get("name").and_then(|n| n.as_str()).unwrap_or("");
        let to = Mailbox::new(
            Some(name.to_string()),
            d.address
                .parse()
                .map_err(|e| format!("`{}`: {e}", d.address))?,
        );
        let from: Mailbox = self.config.mail_from.parse().map_err(|e| format!("{e}"))?;
        Message::builder()
            .from(from)
            .to(to)
            .subject(subject.trim())
            .message_id(Some(format!("<{}@onus>", d.id)))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_fits_in_its_lease() {
        let c = WorkerConfig::default();
        // 60 s lease, 10 s timeout, 32 at once: five waves fit, the batch (100) is smaller.
        assert_eq!(claim_size(&c), 100);
        let short = WorkerConfig {
            lease: Duration::from_secs(20),
            ..c.clone()
        };
        assert_eq!(claim_size(&short), 32, "one wave of 32 in a 20 s lease");
        let tiny = WorkerConfig {
            lease: Duration::from_secs(2),
            concurrency: 0,
            ..c
        };
        assert_eq!(claim_size(&tiny), 1, "never nothing");
    }
}
