//! The shipped layouts' docs say what their descriptions say.
#![allow(clippy::unwrap_used)]

use bank_formats::layout::shipped;

#[test]
fn each_shipped_layout_has_a_doc_in_step_with_its_description() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/layouts");
    for layout in shipped() {
        let doc = std::fs::read_to_string(format!("{dir}/{}.md", layout.name()))
            .unwrap_or_else(|e| panic!("{}.md: {e}", layout.name()));
        assert!(
            doc.contains("This is tahsil's own documented format"),
            "{}.md must say it is tahsil's own format, to be replaced by the institution's",
            layout.name()
        );
        assert!(
            doc.contains(&layout.fields_markdown()),
            "{}.md: the field tables differ from the description; paste Layout::fields_markdown()",
            layout.name()
        );
        for code in layout.return_codes() {
            assert!(
                doc.contains(&format!("| `{}` | {} |", code.code, code.meaning)),
                "{}.md does not document return code {}",
                layout.name(),
                code.code
            );
        }
        assert!(
            doc.contains("## Example"),
            "{}.md has no example",
            layout.name()
        );
    }
}
