//! Turning records into signed, chained bundles, and deciding which records
//! become bundles at all (the attest policy).
//!
//! Policy: every order, remediation, lifecycle and prune record is written.
//! An alert about a persisting condition (same `alert_key`) is written when
//! the episode opens and then at most once per `summary_interval_secs`. A
//! `cycle` bundle is written when any check's result changed since the last
//! one, and at least every `summary_interval_secs` even if nothing changed.
//! Records that cannot be stored (disk full, I/O error) stay queued in
//! memory and are retried at the next Attest; nothing already stored is
//! touched.

use super::bundle::{serialise, Context, Prune, Stamp};
use super::{Kind, Outcome, Record};
use crate::encoding::sha256_hex;
use crate::keys::SigningKey;
use crate::store::{Closing, NewBundle, Store, StoreError, StoredBundle};

/// Records kept in memory while the store cannot take them; beyond this
/// the oldest are dropped and counted (an alert says how many).
const MAX_PENDING: usize = 10_000;

/// Makes bundles.
#[derive(Debug)]
pub struct Writer {
    ctx: Context,
    key: SigningKey,
}

impl Writer {
    /// A writer signing with `key`.
    pub fn new(ctx: Context, key: SigningKey) -> Writer {
        Writer { ctx, key }
    }

    /// The bundle context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Serialises, signs and stores one record as the next bundle, in one
    /// transaction (with the pruning it checkpoints, if any).
    pub fn append(
        &self,
        store: &Store,
        rec: &Record,
        prune: Option<&Prune>,
        now_ms: i64,
    ) -> Result<StoredBundle, StoreError> {
        self.append_closing(store, rec, prune, None, now_ms)
    }

    /// [`Writer::append`], settling a heal journal row and/or an order's
    /// final state in the same transaction.
    pub fn append_closing(
        &self,
        store: &Store,
        rec: &Record,
        prune: Option<&Prune>,
        closing: Option<&Closing<'_>>,
        now_ms: i64,
    ) -> Result<StoredBundle, StoreError> {
        let clock = crate::sys::clock_state().ok();
        let system = std::fs::read_link("/run/current-system").ok().map(|p| p.display().to_string());
        let bundle_id = new_bundle_id();
        store.append_bundle_closing(prune.map(|p| p.through_seq), closing, |seq, prev| {
            let stamp = Stamp { bundle_id: bundle_id.clone(), seq, prev_sha256: prev.to_string(), clock, system };
            let bytes = serialise(&self.ctx, &stamp, rec, prune);
            let signature = self.key.sign(&bytes);
            NewBundle { bundle_id, kind: rec.kind.as_str().to_string(), bytes, signature, created_ms: now_ms }
        })
    }
}

/// A random UUID (version 4) as the bundle id.
pub fn new_bundle_id() -> String {
    let mut b = [0u8; 16];
    crate::rand::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::encoding::hex(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// What one Attest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttestReport {
    /// Bundles written.
    pub written: usize,
    /// Alerts not written because their episode was alerted recently.
    pub suppressed: usize,
    /// Records still waiting because the store failed.
    pub pending: usize,
    /// The store error, if any.
    pub error: Option<String>,
}

/// The attest policy plus the in-memory queue for records the store could
/// not take yet.
#[derive(Debug)]
pub struct Attestor {
    writer: Writer,
    summary_interval_ms: i64,
    pending: Vec<Record>,
    dropped: u64,
    /// Since when the store has refused writes for lack of space (Unix ms).
    full_since: Option<i64>,
}

/// The store's own trouble, noted ahead of the queue.
#[derive(Debug, Clone, Copy)]
enum Note {
    Full,
    Dropped,
}

/// State keys.
const LAST_CYCLE_HASH: &str = "cycle.last_results_sha256";
const LAST_CYCLE_MS: &str = "cycle.last_bundle_ms";

impl Attestor {
    /// An attestor that writes a summary at least every `summary_interval_secs`.
    pub fn new(writer: Writer, summary_interval_secs: u64) -> Attestor {
        let ms = i64::try_from(summary_interval_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        Attestor { writer, summary_interval_ms: ms, pending: Vec::new(), dropped: 0, full_since: None }
    }

    /// The writer (for prune bundles written by Flush).
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Signs with `key` from now on (a rotation the store refused: the old
    /// key goes on signing until it is recorded).
    pub fn replace_key(&mut self, key: SigningKey) {
        self.writer.key = key;
    }

    /// Queues records for the next [`Attestor::attest`]. An alert about a
    /// condition already waiting replaces the older one (while the store is
    /// down, a persisting condition is one record, not one per cycle).
    pub fn queue(&mut self, records: impl IntoIterator<Item = Record>) {
        for rec in records {
            if let (Kind::Alert, Some(key)) = (rec.kind, rec.alert_key.as_deref()) {
                self.pending.retain(|p| p.kind != Kind::Alert || p.alert_key.as_deref() != Some(key));
            }
            self.pending.push(rec);
        }
        if self.pending.len() > MAX_PENDING {
            let excess = self.pending.len() - MAX_PENDING;
            self.pending.drain(..excess);
            self.dropped += excess as u64;
        }
    }

    /// Adds a `cycle` record if the results changed or the summary is due.
    /// `results` is the per-check result object; `outcome` the cycle's.
    /// "Changed" is decided on [`crate::checks::change_key`]: verdicts,
    /// findings and observed facts, never durations or nonces.
    pub fn cycle(&mut self, store: &Store, rec: Record, now_ms: i64) {
        let key = rec.results.as_ref().map(|r| crate::checks::change_key(r).to_string()).unwrap_or_default();
        let hash = sha256_hex(format!("{:?}|{key}", rec.outcome).as_bytes());
        let last_hash = store.get_state(LAST_CYCLE_HASH).ok().flatten();
        let last_ms = store.get_state(LAST_CYCLE_MS).ok().flatten().and_then(|v| v.parse::<i64>().ok());
        let changed = last_hash.as_deref() != Some(hash.as_str());
        let due = last_ms.is_none_or(|t| now_ms.saturating_sub(t) >= self.summary_interval_ms);
        if changed || due {
            let mut rec = rec;
            if rec.reason.is_none() {
                rec.reason = Some(if changed { "changed".into() } else { "summary".into() });
            }
            self.queue([rec]);
            // Remember what we queued; if it fails to store it stays pending
            // and is retried, so the next cycle need not queue it again.
            let _ = store.set_state(LAST_CYCLE_HASH, &hash);
            let _ = store.set_state(LAST_CYCLE_MS, &now_ms.to_string());
        }
    }

    /// Queues `rec` ahead of everything waiting.
    pub fn queue_first(&mut self, rec: Record) {
        self.pending.insert(0, rec);
    }

    /// Notes that the store cannot take writes for lack of space (from
    /// start-up, say); the episode is attested once space returns.
    pub fn note_full(&mut self, now_ms: i64) {
        self.full_since.get_or_insert(now_ms);
    }

    /// The notes about the store's own trouble, written ahead of the queue
    /// and forgotten only once written: how long it refused writes for lack
    /// of space, and how many records were dropped meanwhile (a running
    /// total). Neither is an alert episode (its key would suppress the next).
    fn notes(&self, now_ms: i64) -> Vec<(Note, Record)> {
        let mut out = Vec::new();
        if let Some(since) = self.full_since {
            let mut rec = Record::new(Kind::Alert, Outcome::Alert, since).reason("disk_full").detail(format!(
                "the state file system was full from {} until this bundle; {} records waited in memory (at most {MAX_PENDING})",
                crate::clock::rfc3339_ms(since),
                self.pending.len()
            ));
            rec.finished_ms = now_ms;
            out.push((Note::Full, rec));
        }
        if self.dropped > 0 {
            let rec = Record::new(Kind::Alert, Outcome::Alert, now_ms).reason("evidence_dropped").detail(format!(
                "{} records could not be stored and were dropped (the store refused writes and at most {MAX_PENDING} wait in memory)",
                self.dropped
            ));
            out.push((Note::Dropped, rec));
        }
        out
    }

    /// Writes every queued record the policy lets through, oldest first.
    pub fn attest(&mut self, store: &Store, now_ms: i64) -> AttestReport {
        let mut report = AttestReport::default();
        store.write_pending_state();
        for (note, rec) in self.notes(now_ms) {
            match self.writer.append(store, &rec, None, now_ms) {
                Ok(b) => {
                    report.written += 1;
                    log::info!("attest: bundle {} seq {}: {}", b.bundle_id, b.seq, rec.summary());
                    match note {
                        Note::Full => self.full_since = None,
                        Note::Dropped => self.dropped = 0,
                    }
                }
                Err(e) => {
                    self.refused(&e, now_ms);
                    report.error = Some(e.to_string());
                    report.pending = self.pending.len();
                    return report;
                }
            }
        }
        let mut queue = std::mem::take(&mut self.pending).into_iter();
        for rec in queue.by_ref() {
            if rec.kind == Kind::Alert {
                if let Some(key) = rec.alert_key.clone() {
                    match self.alert_due(store, &key, now_ms) {
                        Ok(false) => {
                            report.suppressed += 1;
                            let _ = store.touch_alert(
                                &key,
                                rec.reason.as_deref().unwrap_or(""),
                                rec.detail.as_deref(),
                                now_ms,
                                false,
                            );
                            continue;
                        }
                        Ok(true) => {}
                        Err(e) => {
                            report.error = Some(e.to_string());
                            self.pending.push(rec);
                            break;
                        }
                    }
                }
            }
            match self.writer.append(store, &rec, None, now_ms) {
                Ok(b) => {
                    report.written += 1;
                    log::info!("attest: bundle {} seq {}: {}", b.bundle_id, b.seq, rec.summary());
                    if let Some(key) = &rec.alert_key {
                        let _ = store.touch_alert(
                            key,
                            rec.reason.as_deref().unwrap_or(""),
                            rec.detail.as_deref(),
                            now_ms,
                            true,
                        );
                    }
                }
                Err(e) => {
                    self.refused(&e, now_ms);
                    report.error = Some(e.to_string());
                    self.pending.push(rec);
                    break;
                }
            }
        }
        self.pending.extend(queue);
        report.pending = self.pending.len();
        if report.written > 0 {
            store.sync_head();
        }
        report
    }

    /// The store refused a write: a full file system starts a `disk_full`
    /// episode (noted once space is back).
    fn refused(&mut self, e: &StoreError, now_ms: i64) {
        if e.is_full() {
            self.full_since.get_or_insert(now_ms);
        }
    }

    fn alert_due(&self, store: &Store, key: &str, now_ms: i64) -> Result<bool, StoreError> {
        Ok(match store.alert(key)? {
            None => true,
            Some(ep) => now_ms.saturating_sub(ep.last_alert_ms) >= self.summary_interval_ms,
        })
    }

    /// Records waiting for the store.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes the records still waiting (at exit, to log them).
    pub fn take_pending(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.pending)
    }
}
