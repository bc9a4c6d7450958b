//! Developer aid: `OTWATCH_DUMP=file.pcap cargo test -p otwatch-proto --test
//! s7_modbus_dnp3_dump -- --ignored --nocapture` prints every event of a capture as
//! NDJSON (optionally only `OTWATCH_DUMP_PROTO`). Not a check: ignored by default.

#[test]
#[ignore = "developer aid, prints events"]
fn dump() {
    let Some(p) = std::env::var_os("OTWATCH_DUMP") else {
        return;
    };
    let proto = std::env::var("OTWATCH_DUMP_PROTO").ok();
    for e in otwatch_proto::pipeline::pcap_events(std::path::Path::new(&p)) {
        if proto.as_deref().is_none_or(|x| e.proto.starts_with(x)) {
            println!("{}", serde_json::to_string(&e).unwrap_or_default());
        }
    }
}
