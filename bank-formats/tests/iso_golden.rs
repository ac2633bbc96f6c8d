//! Files for a SEPA-configured bank stay byte for byte what tahsil wrote before bank
//! profiles existed: the golden files under `tests/golden/` were written by the pain.008
//! writer of commit 2d7276c (before profiles) from the scenario in `golden_support/`, and
//! `Pain008Writer::new` (SEPA Core rules) must still write exactly them. `iso_profiles.rs`
//! checks that the shipped `sepa` profile writes them too.
//!
//! `TAHSIL_BLESS=1` rewrites the golden files (only ever from a writer known to be right).

#![allow(clippy::unwrap_used)]

mod golden_support;

use bank_formats::iso20022::{CharsetPolicy, Pain008Version, Pain008Writer};
use golden_support::{golden_path, scenario, write_scenario};

#[test]
fn sepa_files_are_byte_identical_to_the_files_written_before_profiles() {
    for version in [Pain008Version::V02, Pain008Version::V08] {
        for charset in [CharsetPolicy::LatinRestricted, CharsetPolicy::Utf8] {
            let (header, blocks) = scenario();
            let bytes = write_scenario(
                Pain008Writer::new(Vec::new(), version, charset, header).unwrap(),
                &blocks,
            );
            let path = golden_path(version, charset);
            if std::env::var("TAHSIL_BLESS").is_ok_and(|v| v == "1") {
                std::fs::write(&path, &bytes).unwrap();
            }
            let golden = std::fs::read(&path).unwrap();
            assert!(
                bytes == golden,
                "{} differs from {}",
                version.name(),
                path.display()
            );
        }
    }
}
