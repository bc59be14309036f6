//! EIP-1559 pricing: the first offer for a transaction, and the bump that replaces a stuck one.
//!
//! A node accepts a replacement for (sender, nonce) only when both `maxFeePerGas` and
//! `maxPriorityFeePerGas` rise by at least its price bump (geth: 10 %), and includes a
//! transaction only while its max fee covers the block's base fee plus a tip. Every offer stays
//! within the configured cap.

/// A transaction's EIP-1559 fees, in wei per gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fees {
    /// `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
}

/// Why no offer within the cap can be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    /// The base fee plus the tip is above the cap: no transaction within it can be included.
    #[error(
        "the base fee ({base_fee} wei) plus the priority fee ({priority_fee} wei) is above the \
         configured cap gas.max_fee_gwei ({cap} wei): waiting for the base fee to fall"
    )]
    AboveCap {
        /// The base fee of the next block.
        base_fee: u128,
        /// The tip that would be offered.
        priority_fee: u128,
        /// The cap.
        cap: u128,
    },
    /// A replacement must raise both fees by the bump, which would exceed the cap.
    #[error(
        "replacing the transaction needs a max fee of {needed} wei (its {current} wei plus \
         {bump_percent} %), above the configured cap gas.max_fee_gwei ({cap} wei)"
    )]
    BumpAboveCap {
        /// The max fee the replacement needs.
        needed: u128,
        /// The stuck transaction's max fee.
        current: u128,
        /// The configured bump.
        bump_percent: u64,
        /// The cap.
        cap: u128,
    },
}

/// The first offer: a max fee of twice the next base fee plus the tip (room for six blocks of
/// +12.5 % base-fee growth), never below base fee plus tip. Near the cap it stays one bump of
/// `bump_percent` below it where it can, so that a stuck transaction can still be replaced.
pub fn initial(
    base_fee: u128,
    priority_fee: u128,
    cap: u128,
    bump_percent: u64,
) -> Result<Fees, FeeError> {
    let priority = priority_fee.min(cap);
    let needed = base_fee.saturating_add(priority);
    if needed > cap {
        return Err(FeeError::AboveCap { base_fee, priority_fee: priority, cap });
    }
    let headroom = cap.saturating_mul(100) / (100 + u128::from(bump_percent));
    let wanted = base_fee.saturating_mul(2).saturating_add(priority);
    let max_fee = wanted.min(headroom.max(needed));
    Ok(Fees { max_fee_per_gas: max_fee, max_priority_fee_per_gas: priority })
}

/// The replacement of a transaction offered at `current` when the next base fee is `base_fee`:
/// both fees raised by at least `bump_percent` (rounded up, and by at least 1 wei), and the max
/// fee at least what [`initial`] would offer now; within `cap`.
pub fn bump(current: Fees, base_fee: u128, bump_percent: u64, cap: u128) -> Result<Fees, FeeError> {
    let raise = |fee: u128| {
        let raised = fee.saturating_mul(100 + u128::from(bump_percent)).div_ceil(100);
        raised.max(fee.saturating_add(1))
    };
    let priority = raise(current.max_priority_fee_per_gas);
    let needed = raise(current.max_fee_per_gas).max(priority);
    if needed > cap {
        return Err(FeeError::BumpAboveCap {
            needed,
            current: current.max_fee_per_gas,
            bump_percent,
            cap,
        });
    }
    if base_fee.saturating_add(priority) > cap {
        return Err(FeeError::AboveCap { base_fee, priority_fee: priority, cap });
    }
    let fresh = base_fee.saturating_mul(2).saturating_add(priority);
    Ok(Fees { max_fee_per_gas: needed.max(fresh.min(cap)), max_priority_fee_per_gas: priority })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GWEI: u128 = 1_000_000_000;

    #[test]
    fn the_first_offer_doubles_the_base_fee_within_the_cap() {
        let fees = initial(10 * GWEI, GWEI, 300 * GWEI, 15).expect("fits");
        assert_eq!(fees, Fees { max_fee_per_gas: 21 * GWEI, max_priority_fee_per_gas: GWEI });
        // Near the cap, one bump of room is kept: the replacement still fits.
        let capped = initial(200 * GWEI, GWEI, 345 * GWEI, 15).expect("fits under the cap");
        assert_eq!(capped.max_fee_per_gas, 300 * GWEI);
        assert!(bump(capped, 200 * GWEI, 15, 345 * GWEI).is_ok());
        // With no room for a bump, base fee plus tip is still offered.
        let tight = initial(299 * GWEI, GWEI, 300 * GWEI, 15).expect("just fits");
        assert_eq!(tight.max_fee_per_gas, 300 * GWEI);
        let refused = initial(300 * GWEI, GWEI, 300 * GWEI, 15).expect_err("no room for the tip");
        assert!(refused.to_string().contains("gas.max_fee_gwei"), "{refused}");
    }

    #[test]
    fn a_replacement_clears_the_new_base_fee() {
        let stuck = Fees { max_fee_per_gas: 21 * GWEI, max_priority_fee_per_gas: GWEI };
        let fees = bump(stuck, 100 * GWEI, 15, 1_000 * GWEI).expect("fits");
        assert!(fees.max_fee_per_gas >= 100 * GWEI + fees.max_priority_fee_per_gas);
        assert_eq!(fees.max_priority_fee_per_gas, GWEI * 115 / 100);
    }

    #[test]
    fn a_replacement_above_the_cap_is_refused_with_the_figures() {
        let stuck = Fees { max_fee_per_gas: 290 * GWEI, max_priority_fee_per_gas: GWEI };
        let e = bump(stuck, GWEI, 10, 300 * GWEI).expect_err("319 gwei > 300");
        assert!(matches!(e, FeeError::BumpAboveCap { needed, .. } if needed == 319 * GWEI), "{e}");
    }

    #[test]
    fn a_zero_tip_still_rises() {
        let stuck = Fees { max_fee_per_gas: 1, max_priority_fee_per_gas: 0 };
        let fees = bump(stuck, 0, 10, 100).expect("fits");
        assert_eq!(fees, Fees { max_fee_per_gas: 2, max_priority_fee_per_gas: 1 });
    }

    proptest! {
        /// The first offer covers base fee plus tip and stays within the cap.
        #[test]
        fn first_offers_are_includable_and_capped(
            base_fee in 0u128..1_000_000_000_000,
            tip in 0u128..10_000_000_000,
            cap in 1u128..10_000_000_000_000,
            bump_percent in 10u64..200,
        ) {
            if let Ok(fees) = initial(base_fee, tip, cap, bump_percent) {
                prop_assert!(fees.max_fee_per_gas <= cap);
                prop_assert!(fees.max_fee_per_gas >= base_fee + fees.max_priority_fee_per_gas);
            } else {
                prop_assert!(base_fee + tip.min(cap) > cap);
            }
        }

        /// Every replacement raises both fees by the bump (the node's rule) and stays within the
        /// cap; the max fee covers the tip.
        #[test]
        fn replacements_obey_the_bump_and_the_cap(
            max_fee in 1u128..1_000_000_000_000,
            tip_share in 0u128..=100,
            base_fee in 0u128..1_000_000_000_000,
            bump_percent in 10u64..200,
            cap in 1u128..10_000_000_000_000,
        ) {
            let current = Fees {
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: max_fee * tip_share / 100,
            };
            if let Ok(next) = bump(current, base_fee, bump_percent, cap) {
                let factor = 100 + u128::from(bump_percent);
                prop_assert!(next.max_fee_per_gas * 100 >= current.max_fee_per_gas * factor);
                prop_assert!(
                    next.max_priority_fee_per_gas * 100
                        >= current.max_priority_fee_per_gas * factor
                );
                prop_assert!(next.max_priority_fee_per_gas > current.max_priority_fee_per_gas);
                prop_assert!(next.max_fee_per_gas <= cap);
                prop_assert!(next.max_fee_per_gas >= next.max_priority_fee_per_gas);
                prop_assert!(next.max_fee_per_gas >= base_fee + next.max_priority_fee_per_gas);
            }
        }
    }
}
