//! Every layout reader takes arbitrary, truncated and mangled bytes without panicking.
#![allow(clippy::unwrap_used)]

mod layout_support;

use bank_formats::layout::*;
use bank_formats::reasons::classify_with_layout;
use layout_support::sample_file;
use proptest::prelude::*;

/// Runs every entry point that reads bytes; only the absence of panics matters.
fn read_everything(bytes: &[u8]) {
    for layout in shipped() {
        for record in layout.records(bytes).flatten() {
            let _ = record.fields().len();
        }
        let _ = layout.read(bytes);
        let _ = layout.validate(bytes);
        let _ = layout.matches_header(bytes);
        let _ = layout.inspect(bytes);
        let _ = layout.read_from(bytes, |_| Ok(()));
        match layout.kind() {
            FileKind::Debit => {
                let _ = read_debit_file(layout, bytes);
            }
            FileKind::Return => {
                if let Ok(file) = read_return_file(layout, bytes) {
                    for record in &file.records {
                        let _ = classify_with_layout(layout, &record.return_code);
                    }
                }
            }
        }
    }
    let _ = detect(bytes);
    let _ = inspect(bytes);
}

fn samples() -> Vec<Vec<u8>> {
    shipped().iter().map(sample_file).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
        read_everything(&bytes);
    }

    #[test]
    fn truncated_files_never_panic_and_are_refused(which in 0usize..4, cut in 0usize..1000) {
        let file = &samples()[which];
        let cut = cut.min(file.len());
        read_everything(&file[..cut]);
        let layout = &shipped()[which];
        // Cutting more than trailing spaces and line endings (which the lenient reader
        // puts back) loses part of the trailer or a whole record.
        if file[cut..].iter().any(|b| !matches!(b, b' ' | b'\r' | b'\n')) {
            prop_assert!(layout.read(&file[..cut]).is_err(), "cut at {cut} was accepted");
        }
    }

    #[test]
    fn mangled_files_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut file = samples()[which].clone();
        for (index, byte) in edits {
            let i = index.index(file.len());
            file[i] = byte;
        }
        read_everything(&file);
    }

    #[test]
    fn arbitrary_descriptions_never_panic(text in "\\PC{0,400}") {
        let _ = Layout::from_toml(&text);
    }
}

/// Lines of arbitrary length without a line ending stay bounded and are refused.
#[test]
fn a_huge_line_is_refused_without_reading_it_whole() {
    let mut bytes = b"01TAHSILCCPD01".to_vec();
    bytes.extend(std::iter::repeat_n(b'9', 5_000_000));
    for layout in shipped() {
        let error = layout.read(&bytes).unwrap_err();
        assert!(error.to_string().contains("line 1"), "{error}");
    }
}
