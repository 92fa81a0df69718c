//! Evidence (docs/evidence.md): what the agent saw and did, for the auditor.
//!
//! Owns: the [`Record`] every part of the agent reports through. A record
//! becomes a signed, hash-chained bundle in the Attest state. Must never:
//! carry patient data or raw attacker-supplied bytes in bulk.

pub mod attest;
pub mod bundle;
pub mod controls;
pub mod export;
pub mod flush;
pub mod oscal;
pub mod period;
pub mod receipts;
pub mod report;
pub mod report_build;
pub mod report_cli;
pub mod report_html;
pub mod retention;
pub mod rotation;
pub mod verified;
pub mod verify;

use crate::checks::CheckName;
use crate::exec::CommandRecord;
use serde::Serialize;
use serde_json::Value;

/// The kind of bundle (its `kind` field, docs/evidence.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A cycle's check results.
    Cycle,
    /// A heal (from drift or an order).
    Remediation,
    /// An order's refusal or execution.
    Order,
    /// Something needs a human.
    Alert,
    /// Agent start and stop.
    Lifecycle,
    /// A retention checkpoint.
    Prune,
    /// The evidence key changes (signed by the old key, names the new).
    KeyRotation,
}

impl Kind {
    /// The evidence spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cycle => "cycle",
            Kind::Remediation => "remediation",
            Kind::Order => "order",
            Kind::Alert => "alert",
            Kind::Lifecycle => "lifecycle",
            Kind::Prune => "prune",
            Kind::KeyRotation => "key_rotation",
        }
    }
}

/// The result (the bundle's `outcome` field, docs/evidence.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done and verified.
    Success,
    /// Tried and failed.
    Failed,
    /// Failed and rolled back, rollback verified.
    Reverted,
    /// Waiting for the maintenance window.
    Deferred,
    /// A condition that needs attention.
    Alert,
    /// An order refused.
    Rejected,
    /// An order past its TTL.
    Expired,
}

impl Outcome {
    /// The evidence spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failed => "failed",
            Outcome::Reverted => "reverted",
            Outcome::Deferred => "deferred",
            Outcome::Alert => "alert",
            Outcome::Rejected => "rejected",
            Outcome::Expired => "expired",
        }
    }
}

/// Which order a record is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRef {
    /// The order id (absent when the signature did not verify).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The verifying key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
    /// The action name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Hex SHA-256 of the envelope bytes.
    pub envelope_sha256: String,
}

/// One thing to attest.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Bundle kind.
    pub kind: Kind,
    /// The check concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckName>,
    /// The order concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderRef>,
    /// Result.
    pub outcome: Outcome,
    /// Machine-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Short human explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Unix milliseconds when the work started.
    #[serde(skip)]
    pub started_ms: i64,
    /// Unix milliseconds when it finished.
    #[serde(skip)]
    pub finished_ms: i64,
    /// Observed state before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_state: Option<Value>,
    /// Observed state after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_state: Option<Value>,
    /// Commands run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<CommandRecord>,
    /// For `cycle`: every check's result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Value>,
    /// For alerts: the condition's key; a persisting condition is written
    /// at most once per summary interval.
    #[serde(skip)]
    pub alert_key: Option<String>,
    /// For `key_rotation`: the old and the new key.
    #[serde(skip)]
    pub rotation: Option<bundle::Rotation>,
}

impl Record {
    /// A record of `kind` with `outcome`, everything else empty, timed now.
    pub fn new(kind: Kind, outcome: Outcome, now_ms: i64) -> Record {
        Record {
            kind,
            check: None,
            order: None,
            outcome,
            reason: None,
            detail: None,
            started_ms: now_ms,
            finished_ms: now_ms,
            pre_state: None,
            post_state: None,
            actions: Vec::new(),
            results: None,
            alert_key: None,
            rotation: None,
        }
    }

    /// An alert about a persisting condition `key` (re-alerted at most once
    /// per summary interval while it lasts).
    pub fn alert(key: &str, reason: &str, detail: impl Into<String>, now_ms: i64) -> Record {
        let mut r = Record::new(Kind::Alert, Outcome::Alert, now_ms).reason(reason).detail(detail);
        r.alert_key = Some(key.to_string());
        r
    }

    /// Sets the reason.
    pub fn reason(mut self, reason: &str) -> Record {
        self.reason = Some(reason.to_string());
        self
    }

    /// Sets the detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Record {
        self.detail = Some(detail.into());
        self
    }

    /// One line for logs.
    pub fn summary(&self) -> String {
        let mut s = format!("{:?}/{}", self.kind, self.outcome.as_str()).to_lowercase();
        if let Some(c) = self.check {
            s.push_str(&format!(" check={c}"));
        }
        if let Some(o) = &self.order {
            if let Some(id) = &o.order_id {
                s.push_str(&format!(" order={id}"));
            }
            if let Some(a) = &o.action {
                s.push_str(&format!(" action={a}"));
            }
            s.push_str(&format!(" envelope={}", &o.envelope_sha256[..o.envelope_sha256.len().min(16)]));
        }
        if let Some(r) = &self.reason {
            s.push_str(&format!(" reason={r}"));
        }
        if let Some(d) = &self.detail {
            s.push_str(&format!(" ({d})"));
        }
        s
    }
}
