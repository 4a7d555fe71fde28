//! Agentless discovery of which machine holds a virtual IP.
//!
//! Three sources of evidence, cheapest first:
//!
//! 1. [`local_iface`]: the VIP is one of this host's own addresses.
//! 2. [`read_arp_table`]: when the VIP is on a directly connected subnet
//!    ([`on_link_iface`]), the kernel's neighbour table maps the VIP and each
//!    node address to MACs (once something has made the kernel resolve them).
//! 3. [`arp_probe`] (root / `CAP_NET_RAW` only): broadcast "who-has VIP" and
//!    collect *every* answer, so that two holders (split brain) show up as two
//!    MACs.
//!
//! Everything here works on the network namespace of the calling thread.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::time::{Duration, Instant};

use pnet_datalink::{Channel, Config, DataLinkSender, MacAddr, NetworkInterface};
use pnet_packet::arp::{ArpHardwareTypes, ArpOperations, ArpPacket, MutableArpPacket};
use pnet_packet::ethernet::{EtherTypes, EthernetPacket, MutableEthernetPacket};
use pnet_packet::{MutablePacket, Packet};

/// An Ethernet (EUI-48) hardware address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// `00:00:00:00:00:00`, what the kernel shows for unresolved neighbours.
    pub const ZERO: Mac = Mac([0; 6]);

    /// Whether this is the all-zero address.
    pub fn is_zero(&self) -> bool {
        *self == Self::ZERO
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl FromStr for Mac {
    type Err = String;

    /// Accepts six groups of one or two hex digits separated by `:` or `-`
    /// (one separator throughout), in either case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid MAC address {s:?}");
        let sep = if s.contains(':') { ':' } else { '-' };
        let mut out = [0u8; 6];
        let mut parts = s.split(sep);
        for byte in &mut out {
            let part = parts.next().ok_or_else(bad)?;
            if part.is_empty() || part.len() > 2 || !part.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Mac(out))
    }
}

impl From<MacAddr> for Mac {
    fn from(m: MacAddr) -> Self {
        Mac(m.octets())
    }
}

impl From<Mac> for MacAddr {
    fn from(m: Mac) -> Self {
        let [a, b, c, d, e, f] = m.0;
        MacAddr::new(a, b, c, d, e, f)
    }
}

/// One network interface of this host (of this network namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iface {
    pub name: String,
    /// `None` for interfaces without a hardware address (or an all-zero one, like `lo`).
    pub mac: Option<Mac>,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// Address and prefix length.
    pub addrs: Vec<(IpAddr, u8)>,
}

impl From<&NetworkInterface> for Iface {
    fn from(ni: &NetworkInterface) -> Self {
        Iface {
            name: ni.name.clone(),
            mac: ni.mac.map(Mac::from).filter(|m| !m.is_zero()),
            up: ni.is_up(),
            addrs: ni.ips.iter().map(|n| (n.ip(), n.prefix())).collect(),
        }
    }
}

/// This host's (this network namespace's) interfaces, via `pnet_datalink::interfaces()`.
pub fn interfaces() -> Vec<Iface> {
    pnet_datalink::interfaces()
        .iter()
        .map(Iface::from)
        .collect()
}

/// Whether `ip` is one of these interfaces' addresses (and which interface).
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are treated as the IPv4 address.
pub fn local_iface(ifaces: &[Iface], ip: IpAddr) -> Option<&Iface> {
    let ip = ip.to_canonical();
    ifaces
        .iter()
        .find(|i| i.addrs.iter().any(|(a, _)| a.to_canonical() == ip))
}

/// The interface whose directly connected subnet contains `ip`.
///
/// Only interfaces that are up count; loopback addresses never count. When
/// several subnets contain `ip` the longest prefix wins (the first interface
/// on a tie).
pub fn on_link_iface(ifaces: &[Iface], ip: IpAddr) -> Option<&Iface> {
    let ip = ip.to_canonical();
    if ip.is_loopback() {
        return None;
    }
    let mut best: Option<(&Iface, u8)> = None;
    for iface in ifaces.iter().filter(|i| i.up) {
        for &(addr, prefix) in &iface.addrs {
            let addr = addr.to_canonical();
            if addr.is_loopback() || !same_subnet(addr, ip, prefix) {
                continue;
            }
            if best.is_none_or(|(_, p)| prefix > p) {
                best = Some((iface, prefix));
            }
        }
    }
    best.map(|(iface, _)| iface)
}

/// Whether `a` and `b` are of one family and agree on their first `prefix` bits.
fn same_subnet(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// One row of the kernel's IPv4 neighbour table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArpEntry {
    pub ip: Ipv4Addr,
    pub mac: Mac,
    pub device: String,
    /// Resolved: flags non-zero and a non-zero MAC.
    pub complete: bool,
}

/// Parse `/proc/net/arp` text (header line, then
/// `IP address HW type Flags HW address Mask Device`).
///
/// Flags `0x0` or an all-zero MAC = not complete. The header and malformed
/// lines (including hardware types whose addresses are not 6 bytes) are skipped.
pub fn parse_proc_net_arp(text: &str) -> Vec<ArpEntry> {
    text.lines().filter_map(parse_arp_line).collect()
}

fn parse_arp_line(line: &str) -> Option<ArpEntry> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [ip, _hw_type, flags, mac, _mask, device, ..] = fields.as_slice() else {
        return None;
    };
    let ip: Ipv4Addr = ip.parse().ok()?;
    let flags = u32::from_str_radix(flags.trim_start_matches("0x"), 16).ok()?;
    let mac: Mac = mac.parse().ok()?;
    Some(ArpEntry {
        ip,
        mac,
        device: (*device).to_string(),
        complete: flags != 0 && !mac.is_zero(),
    })
}

/// Read `/proc/net/arp` (of the current network namespace).
pub fn read_arp_table() -> io::Result<Vec<ArpEntry>> {
    std::fs::read_to_string("/proc/net/arp").map(|text| parse_proc_net_arp(&text))
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("ARP probing needs root (CAP_NET_RAW): {0}")]
    Permission(String),
    #[error("interface {0} not found")]
    NoInterface(String),
    #[error("interface {iface} has no IPv4 address to probe from")]
    NoSource { iface: String },
    #[error("ARP probe on {iface}: {message}")]
    Io { iface: String, message: String },
}

/// How long one receive may block, so the collect loop notices its deadline.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Bound on one send.
const WRITE_TIMEOUT: Duration = Duration::from_millis(200);
/// Ethernet header (14) + ARP for Ethernet/IPv4 (28), padded to the 60-byte minimum frame.
const FRAME_LEN: usize = 60;

/// Blocking (callers use `spawn_blocking`): broadcast an ARP request for each
/// target on `iface`, then collect replies for `wait`.
///
/// The sender is the interface's MAC and its first IPv4 address on the
/// target's subnet (never the target itself: if the target is our only
/// address there, the request is sent as an RFC 5227 probe from 0.0.0.0, which
/// holders still answer). The requests are sent again halfway through `wait`,
/// in case one was lost.
///
/// Returns, for each target, the DISTINCT MACs that answered (empty = nobody
/// answered), in order of first answer. The kernel does not answer its own
/// requests, so a target that is one of this interface's own addresses only
/// lists the *other* hosts that claim it. Any ARP reply whose sender address is
/// a target counts (also gratuitous ones), except our own frames.
///
/// Returns about `wait` after the channel is open, plus at most one 10 ms receive poll
/// and the kernel's cost of closing a packet socket (an RCU grace period, ~5–15 ms).
pub fn arp_probe(
    iface: &str,
    targets: &[Ipv4Addr],
    wait: Duration,
) -> Result<BTreeMap<Ipv4Addr, Vec<Mac>>, ProbeError> {
    let io_err = |message: String| ProbeError::Io {
        iface: iface.to_string(),
        message,
    };

    let ni = pnet_datalink::interfaces()
        .into_iter()
        .find(|i| i.name == iface)
        .ok_or_else(|| ProbeError::NoInterface(iface.to_string()))?;
    let own: Vec<(Ipv4Addr, u8)> = ni
        .ips
        .iter()
        .filter_map(|n| match n.ip() {
            IpAddr::V4(a) => Some((a, n.prefix())),
            IpAddr::V6(_) => None,
        })
        .collect();
    if own.is_empty() {
        return Err(ProbeError::NoSource {
            iface: iface.to_string(),
        });
    }
    let our_mac = ni
        .mac
        .map(Mac::from)
        .filter(|m| !m.is_zero())
        .ok_or_else(|| io_err("interface has no Ethernet address".to_string()))?;

    let mut answers: BTreeMap<Ipv4Addr, Vec<Mac>> =
        targets.iter().map(|&t| (t, Vec::new())).collect();
    if answers.is_empty() {
        return Ok(answers);
    }
    let frames: Vec<[u8; FRAME_LEN]> = answers
        .keys()
        .map(|&target| arp_request(our_mac, source_for(&own, target), target))
        .collect();

    let config = Config {
        read_timeout: Some(POLL_INTERVAL),
        write_timeout: Some(WRITE_TIMEOUT),
        promiscuous: false,
        ..Config::default()
    };
    let (mut tx, mut rx) = match pnet_datalink::channel(&ni, config) {
        Ok(Channel::Ethernet(tx, rx)) => (tx, rx),
        Ok(_) => return Err(io_err("unsupported channel type".to_string())),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(ProbeError::Permission(e.to_string()));
        }
        Err(e) => return Err(io_err(e.to_string())),
    };

    let start = Instant::now();
    let deadline = start + wait;
    let resend_at = start + wait / 2;
    send_all(tx.as_mut(), &frames).map_err(io_err)?;
    let mut resent = false;

    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if !resent && now >= resend_at {
            send_all(tx.as_mut(), &frames).map_err(io_err)?;
            resent = true;
        }
        match rx.next() {
            Ok(frame) => {
                if let Some((ip, mac)) = parse_reply(frame, our_mac)
                    && let Some(macs) = answers.get_mut(&ip)
                    && !macs.contains(&mac)
                {
                    macs.push(mac);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => return Err(io_err(format!("receive failed: {e}"))),
        }
    }
    Ok(answers)
}

/// The address to send a request for `target` from: the first of our addresses
/// whose subnet contains it (and that is not the target), else our first
/// address that is not the target, else 0.0.0.0.
fn source_for(own: &[(Ipv4Addr, u8)], target: Ipv4Addr) -> Ipv4Addr {
    let candidates = || own.iter().filter(|(a, _)| *a != target);
    candidates()
        .find(|(a, p)| same_subnet(IpAddr::V4(*a), IpAddr::V4(target), *p))
        .or_else(|| candidates().next())
        .map_or(Ipv4Addr::UNSPECIFIED, |(a, _)| *a)
}

fn send_all(tx: &mut dyn DataLinkSender, frames: &[[u8; FRAME_LEN]]) -> Result<(), String> {
    for frame in frames {
        match tx.send_to(frame, None) {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(format!("send failed: {e}")),
            None => return Err("send failed: no send buffer".to_string()),
        }
    }
    Ok(())
}

/// A broadcast "who-has `target` tell `source`" frame.
fn arp_request(our_mac: Mac, source: Ipv4Addr, target: Ipv4Addr) -> [u8; FRAME_LEN] {
    let mut frame = [0u8; FRAME_LEN];
    let mut eth = MutableEthernetPacket::new(&mut frame).expect("frame is 60 bytes");
    eth.set_destination(MacAddr::broadcast());
    eth.set_source(our_mac.into());
    eth.set_ethertype(EtherTypes::Arp);
    let mut arp = MutableArpPacket::new(eth.payload_mut()).expect("payload holds 28 bytes");
    arp.set_hardware_type(ArpHardwareTypes::Ethernet);
    arp.set_protocol_type(EtherTypes::Ipv4);
    arp.set_hw_addr_len(6);
    arp.set_proto_addr_len(4);
    arp.set_operation(ArpOperations::Request);
    arp.set_sender_hw_addr(our_mac.into());
    arp.set_sender_proto_addr(source);
    arp.set_target_hw_addr(MacAddr::zero());
    arp.set_target_proto_addr(target);
    frame
}

/// `(sender IP, sender MAC)` of an Ethernet/IPv4 ARP reply that is not ours.
fn parse_reply(frame: &[u8], our_mac: Mac) -> Option<(Ipv4Addr, Mac)> {
    let eth = EthernetPacket::new(frame)?;
    if eth.get_ethertype() != EtherTypes::Arp || Mac::from(eth.get_source()) == our_mac {
        return None;
    }
    let arp = ArpPacket::new(eth.payload())?;
    if arp.get_operation() != ArpOperations::Reply
        || arp.get_hardware_type() != ArpHardwareTypes::Ethernet
        || arp.get_protocol_type() != EtherTypes::Ipv4
        || arp.get_hw_addr_len() != 6
        || arp.get_proto_addr_len() != 4
    {
        return None;
    }
    let mac = Mac::from(arp.get_sender_hw_addr());
    if mac == our_mac || mac.is_zero() || mac.0[0] & 1 != 0 {
        return None;
    }
    Some((arp.get_sender_proto_addr(), mac))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/net/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn mac(s: &str) -> Mac {
        s.parse().unwrap()
    }

    fn v4(s: &str) -> IpAddr {
        IpAddr::V4(s.parse().unwrap())
    }

    fn v6(s: &str) -> IpAddr {
        IpAddr::V6(s.parse().unwrap())
    }

    fn iface(name: &str, up: bool, addrs: &[(IpAddr, u8)]) -> Iface {
        Iface {
            name: name.to_string(),
            mac: Some(Mac([2, 0, 0, 0, 0, name.len() as u8])),
            up,
            addrs: addrs.to_vec(),
        }
    }

    fn lab_ifaces() -> Vec<Iface> {
        vec![
            Iface {
                name: "lo".to_string(),
                mac: None,
                up: true,
                addrs: vec![(v4("127.0.0.1"), 8), (v6("::1"), 128)],
            },
            iface(
                "eth0",
                true,
                &[
                    (v4("10.0.0.5"), 16),
                    (v6("2001:db8::5"), 64),
                    (v6("fe80::1"), 64),
                ],
            ),
            iface(
                "sdlab-br",
                true,
                &[(v4("10.0.1.1"), 24), (v6("2001:db8::1:1"), 112)],
            ),
            iface("down0", false, &[(v4("192.0.2.1"), 24)]),
            iface("nolink", true, &[]),
        ]
    }

    #[test]
    fn mac_format_and_parse() {
        let m = Mac([0x02, 0x42, 0xac, 0x11, 0x00, 0x0f]);
        assert_eq!(m.to_string(), "02:42:ac:11:00:0f");
        assert_eq!(mac("02:42:ac:11:00:0f"), m);
        assert_eq!(mac("02:42:AC:11:00:0F"), m);
        assert_eq!(mac("02-42-ac-11-00-0f"), m);
        assert_eq!(mac("2:42:ac:11:0:f"), m);
        assert_eq!(mac(&m.to_string()), m);
        assert_eq!(mac("00:00:00:00:00:00"), Mac::ZERO);
        assert!(Mac::ZERO.is_zero());
        for bad in [
            "",
            "02:42:ac:11:00",
            "02:42:ac:11:00:0f:01",
            "02:42:ac:11:00:0g",
            "02:42:ac:11:00:100",
            "02:42:ac:11::0f",
            "02:42-ac:11:00:0f",
            "0242ac11000f",
            "+2:42:ac:11:00:0f",
        ] {
            assert!(bad.parse::<Mac>().is_err(), "{bad:?} parsed");
        }
        let err = "nope".parse::<Mac>().unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn mac_pnet_round_trip() {
        let m = Mac([1, 2, 3, 4, 5, 6]);
        let p: MacAddr = m.into();
        assert_eq!(p, MacAddr::new(1, 2, 3, 4, 5, 6));
        assert_eq!(Mac::from(p), m);
    }

    #[test]
    fn parses_complete_and_incomplete_entries() {
        let entries = parse_proc_net_arp(&fixture("arp_basic.txt"));
        assert_eq!(
            entries,
            vec![
                ArpEntry {
                    ip: "198.51.100.11".parse().unwrap(),
                    mac: mac("6a:1f:0e:22:41:01"),
                    device: "sdlab-br".to_string(),
                    complete: true,
                },
                ArpEntry {
                    ip: "198.51.100.100".parse().unwrap(),
                    mac: mac("6a:1f:0e:22:41:01"),
                    device: "sdlab-br".to_string(),
                    complete: true,
                },
                ArpEntry {
                    ip: "198.51.100.12".parse().unwrap(),
                    mac: Mac::ZERO,
                    device: "sdlab-br".to_string(),
                    complete: false,
                },
                ArpEntry {
                    ip: "198.51.100.13".parse().unwrap(),
                    mac: mac("be:ef:00:00:00:13"),
                    device: "sdlab-br".to_string(),
                    complete: true,
                },
            ]
        );
    }

    #[test]
    fn parses_several_devices_and_odd_flags() {
        let entries = parse_proc_net_arp(&fixture("arp_multi_device.txt"));
        let summary: Vec<(String, String, &str, bool)> = entries
            .iter()
            .map(|e| {
                (
                    e.ip.to_string(),
                    e.mac.to_string(),
                    e.device.as_str(),
                    e.complete,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("10.0.0.1".into(), "52:54:00:12:34:56".into(), "eth0", true),
                (
                    "172.17.0.2".into(),
                    "02:42:ac:11:00:02".into(),
                    "docker0",
                    true
                ),
                // permanent entry (ATF_COM | ATF_PERM)
                ("10.0.0.9".into(), "52:54:00:00:00:09".into(), "eth0", true),
                // flags 0x0 with a stale MAC still shown: not complete
                ("10.0.0.7".into(), "52:54:00:00:00:07".into(), "eth0", false),
                // flags say complete but MAC is all zero: not complete
                (
                    "172.17.0.3".into(),
                    "00:00:00:00:00:00".into(),
                    "docker0",
                    false
                ),
                (
                    "192.0.2.10".into(),
                    "aa:bb:cc:dd:ee:ff".into(),
                    "br-1f2e3d4c5b6a",
                    true
                ),
            ]
        );
    }

    #[test]
    fn parse_skips_header_garbage_and_empty() {
        assert!(parse_proc_net_arp("").is_empty());
        assert!(parse_proc_net_arp(&fixture("arp_empty.txt")).is_empty());
        let text = "IP address       HW type     Flags       HW address            Mask     Device\n\
                    not-an-ip        0x1         0x2         00:11:22:33:44:55     *        eth0\n\
                    10.0.0.1         0x1         0x2         00:11:22:33:44:55     *\n\
                    10.0.0.2         0x20        0x2         80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0f:8e:e1 * ib0\n\
                    10.0.0.3         0x1         zz          00:11:22:33:44:55     *        eth0\n\
                    \n\
                    10.0.0.4         0x1         0x2         00:11:22:33:44:55     *        eth1\n";
        let entries = parse_proc_net_arp(text);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].ip, Ipv4Addr::new(10, 0, 0, 4));
        assert_eq!(entries[0].device, "eth1");
    }

    #[test]
    fn reads_live_arp_table() {
        // /proc/net/arp exists in every Linux network namespace; content varies.
        if std::path::Path::new("/proc/net/arp").exists() {
            let entries = read_arp_table().unwrap();
            assert!(entries.iter().all(|e| !e.device.is_empty()));
        }
    }

    #[test]
    fn local_iface_finds_own_addresses() {
        let ifaces = lab_ifaces();
        let name = |ip| local_iface(&ifaces, ip).map(|i| i.name.as_str());
        assert_eq!(name(v4("10.0.1.1")), Some("sdlab-br"));
        assert_eq!(name(v4("10.0.0.5")), Some("eth0"));
        assert_eq!(name(v4("127.0.0.1")), Some("lo"));
        assert_eq!(name(v6("2001:db8::5")), Some("eth0"));
        assert_eq!(name(v6("::ffff:10.0.1.1")), Some("sdlab-br"));
        // a down interface's address is still ours
        assert_eq!(name(v4("192.0.2.1")), Some("down0"));
        assert_eq!(name(v4("10.0.1.2")), None);
        assert_eq!(name(v6("2001:db8::6")), None);
        assert_eq!(local_iface(&[], v4("10.0.1.1")), None);
    }

    #[test]
    fn on_link_iface_prefers_longest_prefix() {
        let ifaces = lab_ifaces();
        let name = |ip| on_link_iface(&ifaces, ip).map(|i| i.name.as_str());
        // 10.0.1.0/24 on sdlab-br beats 10.0.0.0/16 on eth0
        assert_eq!(name(v4("10.0.1.100")), Some("sdlab-br"));
        assert_eq!(name(v4("10.0.200.3")), Some("eth0"));
        assert_eq!(name(v4("10.1.0.1")), None);
        // IPv6: /112 on sdlab-br beats /64 on eth0
        assert_eq!(name(v6("2001:db8::1:9")), Some("sdlab-br"));
        assert_eq!(name(v6("2001:db8::9:9")), Some("eth0"));
        assert_eq!(name(v6("fe80::abcd")), Some("eth0"));
        assert_eq!(name(v6("2001:db9::1")), None);
        assert_eq!(name(v6("::ffff:10.0.1.100")), Some("sdlab-br"));
        // own address is on its own subnet too
        assert_eq!(name(v4("10.0.1.1")), Some("sdlab-br"));
    }

    #[test]
    fn on_link_iface_excludes_loopback_and_down() {
        let ifaces = lab_ifaces();
        assert_eq!(on_link_iface(&ifaces, v4("127.0.0.1")), None);
        assert_eq!(on_link_iface(&ifaces, v4("127.1.2.3")), None);
        assert_eq!(on_link_iface(&ifaces, v6("::1")), None);
        assert_eq!(on_link_iface(&ifaces, v4("192.0.2.50")), None);
        // a loopback-looking subnet on another interface is still excluded
        let odd = vec![iface("dummy0", true, &[(v4("127.0.0.2"), 8)])];
        assert_eq!(on_link_iface(&odd, v4("127.0.0.9")), None);
    }

    #[test]
    fn on_link_iface_tie_and_edge_prefixes() {
        let ifaces = vec![
            iface("a", true, &[(v4("10.0.0.1"), 24)]),
            iface("bb", true, &[(v4("10.0.0.2"), 24), (v4("10.0.0.3"), 32)]),
            iface("ccc", true, &[(v4("0.0.0.0"), 0)]),
            iface("dddd", true, &[(v4("10.9.9.9"), 33)]),
        ];
        let name = |ip| on_link_iface(&ifaces, ip).map(|i| i.name.as_str());
        assert_eq!(name(v4("10.0.0.77")), Some("a"));
        assert_eq!(name(v4("10.0.0.3")), Some("bb"));
        // /0 matches everything IPv4, nothing IPv6; an invalid /33 matches nothing
        assert_eq!(name(v4("10.9.9.9")), Some("ccc"));
        assert_eq!(name(v6("2001:db8::1")), None);
    }

    #[test]
    fn same_subnet_masks() {
        assert!(same_subnet(v4("198.51.100.1"), v4("198.51.100.100"), 24));
        assert!(!same_subnet(v4("198.51.100.1"), v4("198.51.101.100"), 24));
        assert!(same_subnet(v4("198.51.100.1"), v4("198.51.101.100"), 23));
        assert!(same_subnet(v4("1.2.3.4"), v4("1.2.3.4"), 32));
        assert!(!same_subnet(v4("1.2.3.4"), v4("1.2.3.5"), 32));
        assert!(same_subnet(v6("2001:db8::1"), v6("2001:db8::ffff"), 112));
        assert!(!same_subnet(v6("2001:db8::1"), v6("2001:db8::1:0"), 112));
        assert!(same_subnet(v6("::"), v6("ffff::"), 0));
        assert!(!same_subnet(v4("1.2.3.4"), v6("::1"), 0));
        assert!(!same_subnet(v6("::1"), v6("::1"), 129));
        let _ = Ipv6Addr::LOCALHOST;
    }

    #[test]
    fn source_address_choice() {
        let vip = Ipv4Addr::new(198, 51, 100, 100);
        let own = [
            (Ipv4Addr::new(10, 0, 0, 1), 24),
            (Ipv4Addr::new(198, 51, 100, 1), 24),
            (vip, 24),
        ];
        assert_eq!(source_for(&own, vip), Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(
            source_for(&own, Ipv4Addr::new(10, 0, 0, 9)),
            Ipv4Addr::new(10, 0, 0, 1)
        );
        // off-subnet target: first address
        assert_eq!(
            source_for(&own, Ipv4Addr::new(203, 0, 113, 1)),
            Ipv4Addr::new(10, 0, 0, 1)
        );
        // target is our only address: RFC 5227 probe
        assert_eq!(source_for(&[(vip, 24)], vip), Ipv4Addr::UNSPECIFIED);
        // VIP listed first must not be used to ask for itself
        assert_eq!(
            source_for(&[(vip, 24), (Ipv4Addr::new(198, 51, 100, 1), 24)], vip),
            Ipv4Addr::new(198, 51, 100, 1)
        );
    }

    fn reply_frame(
        src: Mac,
        sender: Mac,
        sender_ip: Ipv4Addr,
        op: pnet_packet::arp::ArpOperation,
    ) -> Vec<u8> {
        let mut frame = arp_request(sender, sender_ip, Ipv4Addr::new(198, 51, 100, 1)).to_vec();
        let mut eth = MutableEthernetPacket::new(&mut frame).unwrap();
        eth.set_source(src.into());
        let mut arp = MutableArpPacket::new(eth.payload_mut()).unwrap();
        arp.set_operation(op);
        frame
    }

    #[test]
    fn request_frame_layout() {
        let me = mac("02:00:00:00:00:01");
        let frame = arp_request(
            me,
            Ipv4Addr::new(198, 51, 100, 1),
            Ipv4Addr::new(198, 51, 100, 100),
        );
        assert_eq!(frame.len(), 60);
        assert_eq!(&frame[0..6], &[0xff; 6]);
        assert_eq!(&frame[6..12], &me.0);
        assert_eq!(&frame[12..14], &[0x08, 0x06]);
        // htype 1, ptype 0x0800, hlen 6, plen 4, op 1
        assert_eq!(&frame[14..22], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&frame[22..28], &me.0);
        assert_eq!(&frame[28..32], &[198, 51, 100, 1]);
        assert_eq!(&frame[32..38], &[0; 6]);
        assert_eq!(&frame[38..42], &[198, 51, 100, 100]);
        assert!(frame[42..].iter().all(|b| *b == 0));
        // our own request is never taken as an answer
        assert_eq!(parse_reply(&frame, me), None);
    }

    #[test]
    fn reply_filtering() {
        let me = mac("02:00:00:00:00:01");
        let node = mac("02:00:00:00:00:11");
        let vip = Ipv4Addr::new(198, 51, 100, 100);
        let ok = reply_frame(node, node, vip, ArpOperations::Reply);
        assert_eq!(parse_reply(&ok, me), Some((vip, node)));
        // requests are not answers
        let req = reply_frame(node, node, vip, ArpOperations::Request);
        assert_eq!(parse_reply(&req, me), None);
        // our own frames
        assert_eq!(
            parse_reply(&reply_frame(me, me, vip, ArpOperations::Reply), me),
            None
        );
        assert_eq!(
            parse_reply(&reply_frame(me, node, vip, ArpOperations::Reply), me),
            None
        );
        // multicast / zero sender hardware address
        let mcast = mac("01:00:5e:00:00:01");
        assert_eq!(
            parse_reply(&reply_frame(node, mcast, vip, ArpOperations::Reply), me),
            None
        );
        assert_eq!(
            parse_reply(&reply_frame(node, Mac::ZERO, vip, ArpOperations::Reply), me),
            None
        );
        // not ARP / truncated
        let mut ip_frame = ok.clone();
        ip_frame[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(parse_reply(&ip_frame, me), None);
        assert_eq!(parse_reply(&ok[..30], me), None);
        assert_eq!(parse_reply(&[], me), None);
    }

    #[test]
    fn probe_unknown_interface() {
        let err = arp_probe(
            "sdnx-no-such-if0",
            &[Ipv4Addr::new(198, 51, 100, 100)],
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(matches!(err, ProbeError::NoInterface(ref n) if n == "sdnx-no-such-if0"));
        assert_eq!(err.to_string(), "interface sdnx-no-such-if0 not found");
    }

    #[test]
    fn probe_error_messages() {
        assert_eq!(
            ProbeError::Permission("Operation not permitted (os error 1)".into()).to_string(),
            "ARP probing needs root (CAP_NET_RAW): Operation not permitted (os error 1)"
        );
        assert_eq!(
            ProbeError::NoSource {
                iface: "eth1".into()
            }
            .to_string(),
            "interface eth1 has no IPv4 address to probe from"
        );
        assert_eq!(
            ProbeError::Io {
                iface: "eth1".into(),
                message: "send failed".into()
            }
            .to_string(),
            "ARP probe on eth1: send failed"
        );
    }
}
