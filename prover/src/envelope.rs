//! The binary envelope of key files: magic bytes, a little-endian `u32` header length, a JSON
//! header, then the payload. The header names the payload's length and keccak256, so truncation
//! and corruption are reported before any (unchecked, fast) decoding of curve points.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha3::{Digest, Keccak256};

use crate::config::FORMAT_VERSION;
use crate::Error;

/// keccak256 of `bytes`, 0x hex.
pub fn keccak_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(Keccak256::digest(bytes)))
}

/// What every envelope header carries.
pub trait EnvelopeHeader: Serialize + DeserializeOwned {
    /// The format version, the payload's length in bytes and its keccak256 (0x hex).
    fn envelope(&self) -> (u64, u64, &str);
}

/// Wraps `payload` with `magic` and `header`.
pub fn seal<H: EnvelopeHeader>(magic: &[u8], header: &H, payload: &[u8]) -> Result<Vec<u8>, Error> {
    let header = serde_json::to_vec(header).map_err(|e| Error::Corrupt(e.to_string()))?;
    let header_len = u32::try_from(header.len())
        .map_err(|_| Error::Corrupt("key header longer than 4 GiB".into()))?;
    let mut bytes = magic.to_vec();
    bytes.extend(header_len.to_le_bytes());
    bytes.extend(header);
    bytes.extend(payload);
    Ok(bytes)
}

/// Opens an envelope of `what` (e.g. "proving key"): checks the magic bytes, the header, the
/// version, the payload's length and checksum; returns the header and the payload.
pub fn open<'a, H: EnvelopeHeader>(
    magic: &[u8],
    what: &str,
    bytes: &'a [u8],
) -> Result<(H, &'a [u8]), Error> {
    open_version(magic, what, bytes, FORMAT_VERSION, "")
}

/// [`open`] for a file whose format version is `expected`; another version is refused with
/// `hint` appended to the message (what changed, what to do).
pub fn open_version<'a, H: EnvelopeHeader>(
    magic: &[u8],
    what: &str,
    bytes: &'a [u8],
    expected: u64,
    hint: &str,
) -> Result<(H, &'a [u8]), Error> {
    let rest = bytes
        .strip_prefix(magic)
        .ok_or_else(|| Error::Corrupt(format!("not a ProofGate {what} (bad magic bytes)")))?;
    let truncated = || Error::Corrupt(format!("{what} truncated in its header"));
    let len: [u8; 4] = rest.get(..4).and_then(|b| b.try_into().ok()).ok_or_else(truncated)?;
    let header_len = u32::from_le_bytes(len) as usize;
    let header_bytes = rest.get(4..4 + header_len).ok_or_else(truncated)?;
    let header: H = serde_json::from_slice(header_bytes)
        .map_err(|e| Error::Corrupt(format!("{what} header is not valid: {e}")))?;
    let (version, payload_len, payload_keccak) = header.envelope();
    if version != expected {
        return Err(Error::Corrupt(format!(
            "{what} format version {version} (this build reads {expected}){hint}"
        )));
    }
    let payload = &rest[4 + header_len..];
    if payload.len() as u64 != payload_len {
        return Err(Error::Corrupt(format!(
            "{what} truncated or padded: {} payload bytes, header says {payload_len}",
            payload.len()
        )));
    }
    if keccak_hex(payload) != payload_keccak {
        return Err(Error::Corrupt(format!("{what} corrupted (payload checksum mismatch)")));
    }
    Ok((header, payload))
}
