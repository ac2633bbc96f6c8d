//! Amount text round-trips, and the fast parsing path agrees with the exact decimal path.

use std::str::FromStr;

use mandates::Amount;
use proptest::prelude::*;
use rust_decimal::Decimal;

proptest! {
    #[test]
    fn every_amount_round_trips_through_its_text(centimes in -10_000_000_000_000_000i64..10_000_000_000_000_000) {
        let amount = Amount::from_centimes(centimes);
        prop_assert_eq!(Amount::parse(&amount.to_string()), Ok(amount));
    }

    #[test]
    fn the_fast_path_agrees_with_decimal(text in "-?[0-9]{1,16}(\\.[0-9]{0,3})?") {
        let fast = Amount::parse(&text);
        let exact = Decimal::from_str(&text).ok().map(Amount::from_decimal);
        match (fast, exact) {
            (Ok(a), Some(Ok(b))) => prop_assert_eq!(a, b),
            (Err(_), Some(Err(_))) | (Err(_), None) => {}
            (fast, exact) => prop_assert!(false, "{text}: fast {fast:?} vs exact {exact:?}"),
        }
    }
}
