//! The ARP layer-2 dissector. Stateless: the binding history lives in the detector.

use super::events::to_event;
use super::parser::{Parsed, parse_arp};
use otwatch_core::{EventSink, L2Ctx, L2Dissector};

/// The (stateless) ARP dissector.
#[derive(Debug, Default)]
pub struct ArpDissector;

impl L2Dissector for ArpDissector {
    fn on_frame(&mut self, ctx: &L2Ctx, payload: &[u8], sink: &mut dyn EventSink) {
        match parse_arp(payload) {
            Parsed::Ok(p) => {
                if p.sender_mac != ctx.src {
                    let mut w = ctx.weird("arp", "arp_sender_mac_mismatch");
                    w.fields.push("sender_mac", p.sender_mac.to_string());
                    sink.event(w);
                }
                sink.event(to_event(ctx, &p));
            }
            Parsed::Invalid(name) => sink.event(ctx.weird("arp", name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otwatch_core::{Mac, Timestamp};

    fn ctx(src: Mac, dst: Mac) -> L2Ctx {
        L2Ctx {
            ts: Timestamp::from_parts(1_700_000_000, 0),
            src,
            dst,
            vlan: None,
            ethertype: 0x0806,
        }
    }

    fn arp(op: u8, smac: [u8; 6], sip: [u8; 4], tmac: [u8; 6], tip: [u8; 4]) -> Vec<u8> {
        let mut v = vec![0, 1, 8, 0, 6, 4, 0, op];
        v.extend_from_slice(&smac);
        v.extend_from_slice(&sip);
        v.extend_from_slice(&tmac);
        v.extend_from_slice(&tip);
        v.extend_from_slice(&[0; 18]); // Ethernet padding
        v
    }

    #[test]
    fn reply_and_gratuitous() {
        let a = [0, 0x18, 0x64, 2, 0x2f, 0xa6];
        let b = [0, 0x18, 0x64, 2, 0x30, 0xfc];
        let mut out = Vec::new();
        let mut d = ArpDissector;
        d.on_frame(
            &ctx(Mac(b), Mac(a)),
            &arp(2, b, [192, 168, 10, 222], a, [192, 168, 10, 221]),
            &mut out,
        );
        d.on_frame(
            &ctx(Mac(b), Mac::BROADCAST),
            &arp(1, b, [192, 168, 10, 222], [0; 6], [192, 168, 10, 222]),
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].function, "reply");
        assert_eq!(out[0].fields.get("gratuitous"), Some(&false.into()));
        assert_eq!(out[0].src.mac, Some(Mac(b)));
        assert_eq!(out[0].src.to_string(), "192.168.10.222:0");
        assert_eq!(out[1].function, "request");
        assert_eq!(out[1].fields.get("gratuitous"), Some(&true.into()));
        assert_eq!(out[1].dst.mac, Some(Mac::BROADCAST));
    }

    #[test]
    fn spoofed_sender_is_flagged_and_junk_is_weird() {
        let a = [2, 0, 0, 0, 0, 1];
        let mut out = Vec::new();
        let mut d = ArpDissector;
        d.on_frame(
            &ctx(Mac([2, 0, 0, 0, 0, 9]), Mac(a)),
            &arp(2, a, [10, 0, 0, 1], a, [10, 0, 0, 2]),
            &mut out,
        );
        d.on_frame(&ctx(Mac(a), Mac(a)), &[1, 2, 3], &mut out);
        let names: Vec<_> = out.iter().map(|e| e.function.to_string()).collect();
        assert_eq!(names, ["arp_sender_mac_mismatch", "reply", "arp_truncated"]);
    }
}
