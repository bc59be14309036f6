//! The statuses of a journal entry and the transitions between them.

use std::fmt;
use std::str::FromStr;

/// Where a journal entry stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The strategy proposed nothing worth doing, or the trade shrank to nothing: final.
    Skipped,
    /// The native reference refused the trade (it would break a limit): final.
    Refused,
    /// Decided; proving has started.
    Proving,
    /// Proof made and committed, not yet sent: after a crash it may or may not have been sent.
    Proved,
    /// Transaction sent (its hash is known); no receipt seen yet.
    Submitted,
    /// Mined and succeeded: final.
    Executed,
    /// Mined (or simulated) and reverted: final; the revert reason is set.
    Reverted,
    /// Its deadline passed before it was sent: final.
    Expired,
    /// Given up (shutdown, error): final; the reason is appended to the entry's reason.
    Abandoned,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 9] = [
        Status::Skipped,
        Status::Refused,
        Status::Proving,
        Status::Proved,
        Status::Submitted,
        Status::Executed,
        Status::Reverted,
        Status::Expired,
        Status::Abandoned,
    ];

    /// The statuses [`Journal::pending`] returns: work started and not finished.
    pub(super) const PENDING: [Status; 3] = [Status::Proving, Status::Proved, Status::Submitted];

    /// Whether nothing more will happen to an entry in this status (everything but proving,
    /// proved and submitted; a skipped entry has nothing left to do).
    pub fn is_final(self) -> bool {
        !Self::PENDING.contains(&self)
    }

    /// The status's name as stored and shown: `skipped`, `refused`, `proving`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Skipped => "skipped",
            Status::Refused => "refused",
            Status::Proving => "proving",
            Status::Proved => "proved",
            Status::Submitted => "submitted",
            Status::Executed => "executed",
            Status::Reverted => "reverted",
            Status::Expired => "expired",
            Status::Abandoned => "abandoned",
        }
    }

    /// The statuses an entry may move to `self` from.
    pub(super) fn allowed_from(self) -> &'static [Status] {
        match self {
            Status::Proved => &[Status::Proving],
            Status::Submitted | Status::Executed | Status::Expired => {
                &[Status::Proved, Status::Submitted]
            }
            Status::Reverted | Status::Abandoned => &Self::PENDING,
            Status::Skipped | Status::Refused | Status::Proving => &[],
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A string that names no [`Status`].
#[derive(Debug, thiserror::Error)]
#[error("unknown journal status {0:?}")]
pub struct ParseStatusError(pub String);

impl FromStr for Status {
    type Err = ParseStatusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| ParseStatusError(s.to_owned()))
    }
}
