//! The docs tell the truth about the keymap.

use swarmdeck::keymap::{Action, Keymap};

#[test]
fn keys_doc_names_every_action_and_default_key() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/keys.md"))
        .expect("docs/keys.md");
    let km = Keymap::default();
    for a in Action::ALL {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", a.name())))
            .unwrap_or_else(|| panic!("docs/keys.md has no row for action {}", a.name()));
        for k in km.keys(*a) {
            assert!(
                row.contains(&format!("`{k}`")),
                "docs/keys.md row for {} lacks key {k}: {row}",
                a.name()
            );
        }
    }
}
