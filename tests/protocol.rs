//! The shape of the messages between page and worker is pinned to `PROTOCOL_VERSION`: the page
//! refuses a worker that reports another version (a stale cache), which only works if every
//! change of shape comes with a new version. `tests/protocol_versions.txt` lists each version
//! with a fingerprint of its messages' JSON; a change without a new version fails here, and so
//! does a version number used twice.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeSet;

use common::protocol_samples::{
    command_name, commands, event_name, events, import_command_name, import_commands,
    import_event_name, import_events,
};
use latent_lab::protocol::PROTOCOL_VERSION;

const VERSIONS: &str = "tests/protocol_versions.txt";

/// FNV-1a, 64 bits: a stable fingerprint of a text (std's hasher may change between releases).
fn fingerprint(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[test]
fn every_message_has_a_sample() {
    let commands: BTreeSet<_> = commands().iter().map(command_name).collect();
    let events: BTreeSet<_> = events().iter().map(event_name).collect();
    assert_eq!(
        commands.len(),
        9,
        "one sample of each command at least: {commands:?}"
    );
    assert_eq!(
        events.len(),
        11,
        "one sample of each event at least: {events:?}"
    );
    let import_commands: BTreeSet<_> = import_commands().iter().map(import_command_name).collect();
    assert_eq!(
        import_commands.len(),
        2,
        "one sample of each import command: {import_commands:?}"
    );
    let imports: BTreeSet<_> = import_events().iter().map(import_event_name).collect();
    assert_eq!(
        imports.len(),
        4,
        "one sample of each import event: {imports:?}"
    );
}

#[test]
fn a_change_in_the_messages_comes_with_a_new_protocol_version() {
    let shape: Vec<String> = commands()
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .chain(events().iter().map(|e| serde_json::to_string(e).unwrap()))
        .chain(
            import_commands()
                .iter()
                .map(|c| serde_json::to_string(c).unwrap()),
        )
        .chain(
            import_events()
                .iter()
                .map(|e| serde_json::to_string(e).unwrap()),
        )
        .collect();
    let print = fingerprint(&shape.join("\n"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(VERSIONS);
    let table = std::fs::read_to_string(&path).unwrap();
    let known: Vec<(u32, &str)> = table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (v, f) = l.split_once(' ').expect("lines are `version fingerprint`");
            (v.parse().expect("a version number"), f.trim())
        })
        .collect();
    match known.iter().find(|(v, _)| *v == PROTOCOL_VERSION) {
        Some((_, f)) if *f == print => {}
        Some(_) => panic!(
            "the messages between page and worker changed shape, but PROTOCOL_VERSION is still \
             {PROTOCOL_VERSION}: raise it in src/protocol.rs (so pages refuse stale workers) and \
             add its line to {VERSIONS}"
        ),
        None => panic!(
            "PROTOCOL_VERSION {PROTOCOL_VERSION} is new: add the line `{PROTOCOL_VERSION} {print}` \
             to {VERSIONS}"
        ),
    }
    let versions: BTreeSet<u32> = known.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions.len(), known.len(), "each version is listed once");
}
