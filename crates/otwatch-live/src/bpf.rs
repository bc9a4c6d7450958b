//! Classic BPF programs for the kernel socket filter, given in the format
//! `tcpdump -ddd 'expr'` prints (a count, then one `code jt jf k` line per
//! instruction). Compiling filter expressions would need libpcap; accepting the
//! compiled form keeps the build free of system libraries.

/// One classic BPF instruction (`struct sock_filter`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BpfInsn {
    /// Opcode.
    pub code: u16,
    /// Jump if true.
    pub jt: u8,
    /// Jump if false.
    pub jf: u8,
    /// Constant.
    pub k: u32,
}

/// Largest program the kernel accepts (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

/// Parses `tcpdump -ddd` output (numbers separated by spaces, commas or newlines).
pub fn parse_bpf(text: &str) -> Result<Vec<BpfInsn>, String> {
    let nums: Vec<u64> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<u64>()
                .map_err(|_| format!("BPF program: {s:?} is not a number"))
        })
        .collect::<Result<_, _>>()?;
    let (&n, rest) = nums.split_first().ok_or("BPF program is empty")?;
    let n = n as usize;
    if n == 0 || n > MAX_INSNS {
        return Err(format!(
            "BPF program: {n} instructions (1..={MAX_INSNS} allowed)"
        ));
    }
    if rest.len() != n * 4 {
        return Err(format!(
            "BPF program: header says {n} instructions, found {} numbers (need {})",
            rest.len(),
            n * 4
        ));
    }
    rest.chunks(4)
        .map(|c| {
            let code = u16::try_from(c[0]).map_err(|_| "BPF opcode out of range".to_string())?;
            let jt = u8::try_from(c[1]).map_err(|_| "BPF jt out of range".to_string())?;
            let jf = u8::try_from(c[2]).map_err(|_| "BPF jf out of range".to_string())?;
            let k = u32::try_from(c[3]).map_err(|_| "BPF k out of range".to_string())?;
            Ok(BpfInsn { code, jt, jf, k })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tcpdump_ddd() {
        // tcpdump -ddd 'tcp port 502' (first instructions only, count adjusted).
        let p = parse_bpf("2\n40 0 0 12\n21 0 8 34525\n").unwrap();
        assert_eq!(
            p[1],
            BpfInsn {
                code: 21,
                jt: 0,
                jf: 8,
                k: 34525
            }
        );
        assert!(parse_bpf("3\n40 0 0 12\n").is_err());
        assert!(parse_bpf("").is_err());
        assert!(parse_bpf("1\n99999 0 0 1").is_err());
    }
}
