//! What the hot path keeps in memory: parsed audit runs by audit id, and joined statuses by
//! the evidence they were computed from. Every entry is a pure function of immutable data
//! (a published version, an audit run, a set of attestations: none is ever changed once
//! stored), so an entry is never stale and another instance computing it from the database
//! gets the same answer: several instances on one PostgreSQL agree without telling each other
//! anything. Time is the one input that moves: a joined entry records until when it holds
//! (the next instant an attestation starts or expires) and is recomputed after.
//!
//! Misses are computed once: concurrent requests for the same key wait for the first
//! (a burst of 64 clients after an upload joins a large report once, not 64 times).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};
use onus_audit::conditions::ConditionResult;
use onus_audit::join::{DutyReport, PartyReport, Report};
use onus_model::Model;
use onus_store::evidence::{Audit, EvidenceSet};
use onus_store::Principal;

use crate::domain::{self, StoredRun};
use crate::error::ApiError;
use crate::App;

/// A small map of immutable values with a bound on its size: past `capacity`, the entry
/// least recently used goes.
pub struct Lru<K, V> {
    capacity: usize,
    tick: u64,
    map: HashMap<K, (u64, V)>,
}

impl<K: Hash + Eq + Clone, V: Clone> Lru<K, V> {
    pub fn new(capacity: usize) -> Self {
        Lru {
            capacity: capacity.max(1),
            tick: 0,
            map: HashMap::new(),
        }
    }

    pub fn get(&mut self, k: &K) -> Option<V> {
        self.tick += 1;
        let t = self.tick;
        self.map.get_mut(k).map(|(used, v)| {
            *used = t;
            v.clone()
        })
    }

    pub fn insert(&mut self, k: K, v: V) {
        self.tick += 1;
        if self.map.len() >= self.capacity && !self.map.contains_key(&k) {
            // A linear scan: capacities are small (tens to a few hundred entries).
            if let Some(old) = self
                .map
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
            {
                self.map.remove(&old);
            }
        }
        self.map.insert(k, (self.tick, v));
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// An [`Lru`] behind a lock, with one computation per missing key at a time.
pub struct Cache<K, V> {
    entries: Mutex<Lru<K, V>>,
    /// Keys being computed, each with the lock its waiters queue on.
    flights: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K: Hash + Eq + Clone, V: Clone> Cache<K, V> {
    pub fn new(capacity: usize) -> Self {
        Cache {
            entries: Mutex::new(Lru::new(capacity)),
            flights: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, k: &K) -> Option<V> {
        self.entries.lock().ok()?.get(k)
    }

    pub fn insert(&self, k: K, v: V) {
        if let Ok(mut e) = self.entries.lock() {
            e.insert(k, v);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `k` if present and `fresh`, else computed by `compute` (once for all the
    /// callers asking at the same time) and kept.
    pub async fn get_or_compute<E, F, Fut>(
        &self,
        k: &K,
        fresh: impl Fn(&V) -> bool,
        compute: F,
    ) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(k).filter(|v| fresh(v)) {
            return Ok(v);
        }
        let flight = {
            let mut f = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            f.entry(k.clone()).or_default().clone()
        };
        let _turn = flight.lock().await;
        // Whoever held the lock before may have computed it.
        let result = match self.get(k).filter(|v| fresh(v)) {
            Some(v) => Ok(v),
            None => {
                let v = compute().await?;
                self.insert(k.clone(), v.clone());
                Ok(v)
            }
        };
        if let Ok(mut f) = self.flights.lock() {
            // The last one out removes the key (the map holds one reference, we hold one).
            if f.get(k).is_some_and(|x| Arc::strong_count(x) <= 2) {
                f.remove(k);
            }
        }
        result
    }
}

/// The statuses of an organisation's duties under one version of a model, from one evidence
/// set: what `onus_audit::join::join` gave, without the checks and their items (the parties'
/// duties are all the pages and the API show).
#[derive(Debug)]
pub struct Joined {
    pub parties: Vec<PartyReport>,
    /// What the model's conditions gave on the audited cluster (the latest audit's).
    pub conditions: Vec<ConditionResult>,
    /// Until when these statuses hold: the next instant an attestation starts or expires
    /// (`None`: as long as the evidence does not change).
    pub valid_until: Option<DateTime<FixedOffset>>,
}

impl Joined {
    pub fn of(report: Report, valid_until: Option<DateTime<FixedOffset>>) -> Joined {
        Joined {
            parties: report.parties,
            conditions: report.conditions,
            valid_until,
        }
    }

    pub fn fresh(&self, now: DateTime<FixedOffset>) -> bool {
        self.valid_until.is_none_or(|t| now < t)
    }

    /// One party's duties (on this cluster: conditions applied), by activity id.
    pub fn duties(&self, party_id: &str) -> HashMap<&str, &DutyReport> {
        self.parties
            .iter()
            .filter(|p| p.id == party_id)
            .flat_map(|p| p.sections.iter().flat_map(|s| s.duties.iter()))
            .map(|d| (d.activity.as_str(), d))
            .collect()
    }

    /// The activities where the party holds R or A on this cluster, in the model's order.
    pub fn held(&self, party_id: &str) -> Vec<onus_store::models::Duty> {
        self.parties
            .iter()
            .filter(|p| p.id == party_id)
            .flat_map(|p| p.sections.iter().flat_map(|s| s.duties.iter()))
            .map(|d| onus_store::models::Duty {
                activity_id: d.activity.clone(),
                party_id: party_id.to_string(),
            })
            .collect()
    }

    /// Counts by portal status of one party's duties: a point of the compliance chart.
    pub fn counts(&self, party_id: &str) -> serde_json::Value {
        let mut c: HashMap<&'static str, usize> = crate::domain::Status::ALL
            .iter()
            .map(|s| (s.as_str(), 0))
            .collect();
        for d in self.duties(party_id).values() {
            *c.entry(crate::domain::Status::of(d.status).as_str())
                .or_default() += 1;
        }
        serde_json::to_value(c).unwrap_or_default()
    }
}

/// Whose evidence a join reads.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The organisation's own (its id).
    Own(&'a str),
    /// What the model's provider published (shared), as the subscribed customer `0` sees it.
    Published(&'a str),
}

/// The key of a join: the version, the audit, whose conditions, and which attestations.
fn join_key(
    version_id: &str,
    set: &EvidenceSet,
    conditions: Option<(&str, &[ConditionResult])>,
) -> String {
    let mut ids: Vec<&str> = set.attestations.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    format!(
        "{version_id}|{}|{}|{}",
        set.latest_audit.as_ref().map_or("-", |a| a.id.as_str()),
        conditions.map_or("-", |c| c.0),
        onus_store::sha256_hex(ids.join(",").as_bytes())
    )
}

impl App {
    /// The parsed run of an audit (its results are read and parsed once per instance).
    pub async fn run_of(
        &self,
        p: &Principal,
        audit: &Audit,
        source: Source<'_>,
    ) -> Result<Arc<StoredRun>, ApiError> {
        self.runs
            .get_or_compute(
                &audit.id,
                |_| true,
                || async {
                    let text = match &audit.results {
                        Some(t) => t.clone(),
                        None => match source {
                            Source::Own(org) => self.store.audit_results(p, org, &audit.id).await?,
                            Source::Published(customer) => {
                                self.store
                                    .published_audit_results(
                                        p,
                                        customer,
                                        &audit.model_pk,
                                        &audit.id,
                                    )
                                    .await?
                            }
                        },
                    };
                    let run = tokio::task::spawn_blocking(move || domain::parse_run(&text))
                        .await
                        .map_err(ApiError::internal)??;
                    Ok::<_, ApiError>(Arc::new(run))
                },
            )
            .await
    }

    /// The statuses joined from an evidence set (its latest audit without results: they are
    /// read through [`App::run_of`] on a miss) to a version of a model, at the time of the
    /// request; with `conditions` (an audit's id and what its conditions gave), those decide
    /// who holds what instead of the set's own audit's.
    pub async fn joined(
        &self,
        p: &Principal,
        model: &Arc<Model>,
        version_id: &str,
        set: &EvidenceSet,
        source: Source<'_>,
        conditions: Option<(&str, &[ConditionResult])>,
    ) -> Result<Arc<Joined>, ApiError> {
        let key = join_key(version_id, set, conditions);
        let now = crate::views::now();
        self.joined
            .get_or_compute(
                &key,
                |j| j.fresh(now),
                || async {
                    let run = match &set.latest_audit {
                        Some(a) => Some(self.run_of(p, a, source).await?),
                        None => None,
                    };
                    let (model, set) = (model.clone(), set.clone());
                    let conditions = conditions.map(|c| c.1.to_vec());
                    tokio::task::spawn_blocking(move || {
                        let atts = domain::attestations_of(&set);
                        let report = domain::report_with(
                            &model,
                            &set,
                            run.as_deref(),
                            conditions.as_deref(),
                            &atts,
                            now,
                        );
                        Arc::new(Joined::of(report, domain::horizon(&model, &atts, now)))
                    })
                    .await
                    .map_err(ApiError::internal)
                },
            )
            .await
    }

    /// Keeps what an upload computed, so that the next request finds it.
    pub(crate) fn remember(
        &self,
        version_id: &str,
        set: &EvidenceSet,
        run: Option<Arc<StoredRun>>,
        joined: Arc<Joined>,
    ) {
        if let (Some(a), Some(run)) = (&set.latest_audit, run) {
            self.runs.insert(a.id.clone(), run);
        }
        self.joined.insert(join_key(version_id, set, None), joined);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_keeps_the_recently_used() {
        let mut l = Lru::new(2);
        l.insert("a", 1);
        l.insert("b", 2);
        assert_eq!(l.get(&"a"), Some(1));
        l.insert("c", 3);
        assert_eq!(l.get(&"b"), None, "b was the least recently used");
        assert_eq!(l.get(&"a"), Some(1));
        assert_eq!(l.get(&"c"), Some(3));
        assert_eq!(l.len(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_missing_key_is_computed_once_for_concurrent_callers() {
        let cache: Arc<Cache<&str, usize>> = Arc::new(Cache::new(4));
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, runs) = (cache.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_compute(
                        &"k",
                        |_| true,
                        || async {
                            runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            Ok::<_, ()>(7)
                        },
                    )
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(7));
        }
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A stale entry is computed again.
        let v = cache
            .get_or_compute(&"k", |_| false, || async { Ok::<_, ()>(8) })
            .await;
        assert_eq!(v, Ok(8));
    }
}
