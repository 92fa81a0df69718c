//! Local retention: only bundles that are both pushed (a matching receipt
//! is stored) and older than `evidence.local_retention_days` are deleted,
//! always as a prefix of the chain, and in the same transaction a `prune`
//! bundle records the range and the last pruned hash, so the remaining chain
//! still verifies. Unpushed evidence is never deleted.

use super::attest::Writer;
use super::bundle::Prune;
use super::{Kind, Outcome, Record};
use crate::store::{Store, StoreError, StoredBundle};

/// Prunes what the rules allow at `now_ms`; returns the checkpoint bundle,
/// or None when nothing was old and pushed enough.
pub fn prune(
    store: &Store,
    writer: &Writer,
    now_ms: i64,
    retention_days: u64,
) -> Result<Option<StoredBundle>, StoreError> {
    let keep_ms = i64::try_from(retention_days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let Some((from_seq, through_seq, through_sha256)) = store.prunable_prefix(now_ms.saturating_sub(keep_ms))? else {
        return Ok(None);
    };
    let checkpoint = Prune { from_seq, through_seq, through_sha256 };
    let rec = Record::new(Kind::Prune, Outcome::Success, now_ms)
        .reason("retention")
        .detail(format!("pruned pushed bundles {from_seq}..={through_seq} older than {retention_days} days"));
    writer.append(store, &rec, Some(&checkpoint), now_ms).map(Some)
}
