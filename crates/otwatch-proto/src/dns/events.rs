//! DNS messages → events. Weird names: `dns_truncated`, `dns_bad_name`,
//! `dns_bad_record`, `dns_bad_length`, `dns_too_many_pending`.

use super::tld::is_public_name;
use super::types::{DnsMessage, Flavor, RData};
use otwatch_core::{Endpoint, Event, FlowId, Identity, IdentitySubject, OpClass, Timestamp, Value};
use std::borrow::Cow;

/// Cap on queries awaiting a response per flow.
pub const MAX_PENDING: usize = 64;

/// Function name and operation class of a message (by opcode and flavour).
pub fn function_name(flavor: Flavor, m: &DnsMessage) -> (Cow<'static, str>, OpClass) {
    let op = m.header.opcode();
    if flavor == Flavor::Nbns {
        let name = match op {
            0 if m.questions.first().is_some_and(|q| q.qtype == 0x21) => "node_status",
            0 => "name_query",
            5 => "registration",
            6 => "release",
            7 => "wack",
            8 | 9 => "refresh",
            15 => "multihomed_registration",
            n => return (Event::unknown_code(n), OpClass::Discovery),
        };
        return (Cow::Borrowed(name), OpClass::Discovery);
    }
    let class = if flavor == Flavor::Dns {
        OpClass::Other
    } else {
        OpClass::Discovery
    };
    match op {
        0 if flavor == Flavor::Mdns && m.header.is_response() => (Cow::Borrowed("response"), class),
        0 => (Cow::Borrowed("query"), class),
        1 => (Cow::Borrowed("iquery"), class),
        2 => (Cow::Borrowed("status"), class),
        4 => (Cow::Borrowed("notify"), class),
        5 => (Cow::Borrowed("update"), OpClass::Write),
        n => (Event::unknown_code(n), class),
    }
}

/// Name of a response code (RFC 1035 4.1.1, RFC 2136); `ok` for NOERROR.
pub fn rcode_name(rcode: u8) -> Cow<'static, str> {
    Cow::Borrowed(match rcode {
        0 => "ok",
        1 => "formerr",
        2 => "servfail",
        3 => "nxdomain",
        4 => "notimp",
        5 => "refused",
        6 => "yxdomain",
        7 => "yxrrset",
        8 => "nxrrset",
        9 => "notauth",
        10 => "notzone",
        n => return Cow::Owned(format!("rcode_{n}")),
    })
}

/// Name of a record type (the common ones; others `type<n>`).
pub fn qtype_name(t: u16) -> Cow<'static, str> {
    Cow::Borrowed(match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        32 => "NB",
        33 => "SRV",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        252 => "AXFR",
        255 => "ANY",
        n => return Cow::Owned(format!("type{n}")),
    })
}

/// A remembered query (or a one-way message), with where it went.
#[derive(Clone, Debug)]
pub struct DnsTransaction {
    /// Packet time of the query.
    pub ts: Timestamp,
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// The query message.
    pub msg: DnsMessage,
}

fn host_part(name: &str) -> &str {
    name.split(['.', '<']).next().unwrap_or(name)
}

/// Renders a transaction. `query` is the request (absent when only the response was
/// seen); `resp` the response (absent when none came).
pub fn to_event(
    flavor: Flavor,
    flow: FlowId,
    ts: Timestamp,
    src: Endpoint,
    dst: Endpoint,
    query: Option<&DnsMessage>,
    resp: Option<&DnsMessage>,
) -> Option<Event> {
    let main = query.or(resp)?;
    let (function, op) = function_name(flavor, main);
    let mut e = Event::new(ts, flow, src, dst, flavor.proto(), op, function);
    e.fields.push("id", main.header.id);
    let q = main.questions.first();
    if let Some(q) = q {
        e.fields.push("qname", q.name.clone());
        e.fields
            .push("qtype", Value::Str(qtype_name(q.qtype).into_owned()));
        if flavor != Flavor::Nbns {
            e.fields.push("public_name", is_public_name(&q.name));
        }
    }
    if query.is_none() {
        e.fields.push("request_seen", false);
    }
    if let Some(r) = resp {
        // mDNS messages are one-way: a response is an announcement, not a status.
        if flavor != Flavor::Mdns {
            e.status = Some(rcode_name(r.header.rcode()));
        }
        e.fields.push("rcode", r.header.rcode());
        e.fields.push("authoritative", r.header.authoritative());
        e.fields.push("truncated", r.header.truncated());
        let answers: Vec<Value> = r
            .answers
            .iter()
            .filter_map(|a| match &a.data {
                RData::Addr(ip) => Some(Value::Str(ip.to_string())),
                RData::Name(n) => Some(Value::Str(n.clone())),
                RData::Other => None,
            })
            .collect();
        if !answers.is_empty() {
            e.fields.push("answers", Value::List(answers));
        }
        if r.answers_truncated {
            e.fields.push("answers_truncated", true);
        }
        if q.is_none()
            && let Some(a) = r.answers.first()
        {
            e.fields.push("qname", a.name.clone());
            if flavor != Flavor::Nbns {
                e.fields.push("public_name", is_public_name(&a.name));
            }
        }
    }
    e.identity = identity(flavor, query, resp);
    Some(e)
}

/// Names hosts reveal about themselves: NBNS registrations and refreshes of unique
/// names (subject `src`), mDNS announcements of `<host>.local` addresses (subject `src`).
fn identity(
    flavor: Flavor,
    query: Option<&DnsMessage>,
    resp: Option<&DnsMessage>,
) -> Option<Box<Identity>> {
    match flavor {
        Flavor::Nbns => {
            let q = query?;
            if !matches!(q.header.opcode(), 5 | 8 | 9 | 15) {
                return None;
            }
            let name = &q.questions.first()?.name;
            // Only unique names ending <00> (workstation) or <20> (server) name a host.
            let unique = !q.answers.iter().any(|a| a.nb_group);
            (unique && (name.ends_with("<00>") || name.ends_with("<20>"))).then(|| {
                Box::new(Identity {
                    subject: Some(IdentitySubject::Src),
                    hostname: Some(host_part(name).to_string()),
                    ..Identity::default()
                })
            })
        }
        Flavor::Mdns => {
            let r = resp?;
            let a = r.answers.iter().find(|a| {
                matches!(a.data, RData::Addr(_)) && a.name.to_ascii_lowercase().ends_with(".local")
            })?;
            Some(Box::new(Identity {
                subject: Some(IdentitySubject::Src),
                hostname: Some(host_part(&a.name).to_string()),
                ..Identity::default()
            }))
        }
        _ => None,
    }
}
