//! Archives and compressed files, read as streams of members: gzip (`flate2`, every member of
//! a multi-member file), bzip2 (`bzip2`, the pure-Rust `libbz2-rs-sys` backend), xz
//! (`lzma-rust2`, the decoder the `zip` crate itself uses), zstd (`ruzstd`), tar (`tar`) and
//! zip with its kin `.jar`, `.war`, `.whl`, `.apk`, `.docx` (`zip`). All pure Rust: static
//! builds need no C library and the fuzz target covers every decoder. Formats are known by
//! their magic bytes, never by name, so a renamed archive is still read and an archive costs a
//! look at the first bytes of a file, nothing more.
//!
//! Every byte a decoder produces is counted against one `Budget` per outermost file: expanded
//! bytes (absolute, and as a ratio of the bytes read from disk or git), members and nesting.
//! Past a budget reading stops with `BudgetHit`, which the scan notes and fails closed on.

use std::cell::Cell;
use std::io::{self, Read};

/// What the first bytes say a stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    Zip,
    Tar,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gzip => "gzip",
            Kind::Bzip2 => "bzip2",
            Kind::Xz => "xz",
            Kind::Zstd => "zstd",
            Kind::Zip => "zip",
            Kind::Tar => "tar",
        }
    }
}

/// How many leading bytes `sniff` needs to see a tar header's magic.
pub const SNIFF_LEN: usize = 265;

/// The archive or compression format of a stream starting with `head`, if any.
pub fn sniff(head: &[u8]) -> Option<Kind> {
    match head {
        [0x1F, 0x8B, 0x08, ..] => Some(Kind::Gzip),
        // "BZh", a block size 1-9, then the block magic (pi) or the end-of-stream magic.
        [b'B', b'Z', b'h', b'1'..=b'9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, ..]
        | [b'B', b'Z', b'h', b'1'..=b'9', 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, ..] => {
            Some(Kind::Bzip2)
        }
        [0xFD, b'7', b'z', b'X', b'Z', 0x00, ..] => Some(Kind::Xz),
        [0x28, 0xB5, 0x2F, 0xFD, ..] => Some(Kind::Zstd),
        [b'P', b'K', 0x03, 0x04, ..] | [b'P', b'K', 0x05, 0x06, ..] => Some(Kind::Zip),
        // POSIX ("ustar\0") and GNU ("ustar  ") tar headers, with a checksum that holds.
        _ if head.len() >= SNIFF_LEN && &head[257..262] == b"ustar" && tar_checksum_ok(head) => {
            Some(Kind::Tar)
        }
        _ => None,
    }
}

fn tar_checksum_ok(head: &[u8]) -> bool {
    let field = &head[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    let Ok(text) = std::str::from_utf8(&digits) else {
        return false;
    };
    let Ok(stored) = u32::from_str_radix(text, 8) else {
        return false;
    };
    let sum: u32 = head[..512.min(head.len())]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    head.len() >= 512 && sum == stored
}

/// A decoder over a compressed stream.
pub fn decompress<'a>(kind: Kind, inner: Box<dyn Read + 'a>) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match kind {
        Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(inner)),
        Kind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(inner)),
        // A block's dictionary is allocated before a byte is decoded: bounded here.
        Kind::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            inner,
            true,
            XZ_MEMORY_KIB,
        )),
        Kind::Zstd => Box::new(ZstdFrames::new(inner)?),
        Kind::Zip | Kind::Tar => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a container, not a compressed stream",
            ))
        }
    })
}

/// The most memory an xz block's decoder may take (xz -9 takes 65 MiB).
const XZ_MEMORY_KIB: u32 = crate::limits::DEFAULT.xz_memory_kib;

/// The largest window a zstd frame may ask for.
const ZSTD_WINDOW: u64 = crate::limits::DEFAULT.zstd_window;

/// Every frame of a zstd file, one after another (ruzstd's decoder reads one frame), each
/// within `ZSTD_WINDOW`.
struct ZstdFrames<'a> {
    frame: Option<
        ruzstd::decoding::StreamingDecoder<
            io::BufReader<Box<dyn Read + 'a>>,
            ruzstd::decoding::FrameDecoder,
        >,
    >,
}

impl<'a> ZstdFrames<'a> {
    fn new(inner: Box<dyn Read + 'a>) -> io::Result<ZstdFrames<'a>> {
        let frame = zstd_frame(io::BufReader::new(inner))?;
        Ok(ZstdFrames { frame: Some(frame) })
    }
}

/// The decoder of the frame `source` starts with; a window past the budget says so by name.
fn zstd_frame<R: Read>(
    source: R,
) -> io::Result<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>> {
    use ruzstd::decoding::errors::FrameDecoderError;
    ruzstd::decoding::StreamingDecoder::new_with_max_window_size(source, ZSTD_WINDOW).map_err(
        |err| match err {
            FrameDecoderError::WindowSizeTooBig { requested, .. } => invalid(format!(
                "a frame asks for a {} MiB window, past keyrot's budget of {} MiB (`zstd_window`, docs/limits.md)",
                requested >> 20,
                ZSTD_WINDOW >> 20
            )),
            err => invalid(err),
        },
    )
}

fn invalid(err: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err.to_string())
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use io::BufRead;
        loop {
            let Some(frame) = self.frame.as_mut() else {
                return Ok(0);
            };
            let n = frame.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(frame) = self.frame.take() else {
                return Ok(0);
            };
            let mut source = frame.into_inner();
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.frame = Some(zstd_frame(source)?);
        }
    }
}

/// The name of what a compressed file holds: `app.env.gz` holds `app.env`, `x.tgz` `x.tar`.
pub fn inner_name(name: &str) -> String {
    let base = name.rsplit(['/', '!']).next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    for (ext, to) in [
        (".tgz", ".tar"),
        (".tbz2", ".tar"),
        (".tbz", ".tar"),
        (".txz", ".tar"),
        (".tzst", ".tar"),
        (".gz", ""),
        (".gzip", ""),
        (".bz2", ""),
        (".xz", ""),
        (".zst", ""),
        (".zstd", ""),
    ] {
        if lower.ends_with(ext) && base.len() > ext.len() {
            return format!("{}{to}", &base[..base.len() - ext.len()]);
        }
    }
    format!("{base}.content")
}

/// The bounds on what one outermost file may expand to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Archives inside archives (a compressed tar counts once).
    pub depth: u8,
    /// Expanded bytes, at most, whatever the ratio.
    pub bytes: u64,
    /// Expanded bytes per byte read, past the first `ratio_floor` bytes.
    pub ratio: u64,
    pub ratio_floor: u64,
    /// Members, at most.
    pub members: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            depth: crate::limits::DEFAULT.archive_depth,
            bytes: crate::limits::DEFAULT.archive_bytes,
            ratio: crate::limits::DEFAULT.archive_ratio,
            ratio_floor: crate::limits::DEFAULT.archive_ratio_floor,
            members: crate::limits::DEFAULT.archive_members,
        }
    }
}

/// What one outermost file has used of its `Limits`; shared by every layer inside it.
#[derive(Debug)]
pub struct Budget {
    pub limits: Limits,
    /// Bytes of the outermost file (the ratio's denominator).
    pub packed: u64,
    expanded: Cell<u64>,
    members: Cell<u32>,
    /// Which budget stopped the reading, once one did.
    hit: Cell<Option<&'static str>>,
}

/// The error a metered reader gives once a budget is spent.
#[derive(Debug)]
pub struct BudgetHit(pub &'static str);

impl std::fmt::Display for BudgetHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for BudgetHit {}

impl Budget {
    pub fn new(limits: Limits, packed: u64) -> Budget {
        Budget {
            limits,
            packed,
            expanded: Cell::new(0),
            members: Cell::new(0),
            hit: Cell::new(None),
        }
    }

    /// The most expanded bytes allowed.
    pub fn allowed(&self) -> u64 {
        let by_ratio = self
            .packed
            .saturating_mul(self.limits.ratio)
            .max(self.limits.ratio_floor);
        by_ratio.min(self.limits.bytes)
    }

    pub fn expanded(&self) -> u64 {
        self.expanded.get()
    }

    /// Which budget stopped the reading, if one did.
    pub fn hit(&self) -> Option<&'static str> {
        self.hit.get()
    }

    fn spend(&self, n: u64) -> Result<(), BudgetHit> {
        let total = self.expanded.get().saturating_add(n);
        self.expanded.set(total);
        if total > self.allowed() {
            let why = if self.allowed() == self.limits.bytes {
                "expanded bytes"
            } else {
                "expansion ratio"
            };
            self.hit.set(Some(why));
            return Err(BudgetHit(why));
        }
        Ok(())
    }

    /// Counts one more member; `Err` past the member budget.
    pub fn member(&self) -> Result<(), BudgetHit> {
        let n = self.members.get() + 1;
        self.members.set(n);
        if n > self.limits.members {
            self.hit.set(Some("members"));
            return Err(BudgetHit("members"));
        }
        Ok(())
    }
}

/// A reader whose every byte is counted against a budget.
pub struct Metered<'b, R> {
    pub inner: R,
    pub budget: &'b Budget,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(why) = self.budget.hit() {
            return Err(io::Error::other(BudgetHit(why)));
        }
        let n = self.inner.read(buf)?;
        self.budget.spend(n as u64).map_err(io::Error::other)?;
        Ok(n)
    }
}

/// Whether an I/O error is a budget stopping the reading (not damage to the archive).
pub fn budget_hit(err: &io::Error) -> Option<&'static str> {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<BudgetHit>())
        .map(|h| h.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn formats_are_known_by_their_magic_not_their_name() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello").unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(sniff(&gz), Some(Kind::Gzip));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Kind::Zip));
        assert_eq!(sniff(b"BZh91AY&SYxxxx"), Some(Kind::Bzip2));
        assert_eq!(sniff(b"BZh is a word"), None);
        assert_eq!(sniff(b"\xFD7zXZ\x00"), Some(Kind::Xz));
        assert_eq!(sniff(b"\x28\xB5\x2F\xFD"), Some(Kind::Zstd));
        assert_eq!(sniff(b"plain text"), None);
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(5);
        header.set_cksum();
        builder
            .append_data(&mut header, "a.txt", &b"hello"[..])
            .unwrap();
        let tar = builder.into_inner().unwrap();
        assert_eq!(sniff(&tar), Some(Kind::Tar));
        // "ustar" at the right place with a checksum that does not hold is no tar.
        let mut fake = vec![b' '; 600];
        fake[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&fake), None);
    }

    #[test]
    fn a_metered_reader_stops_at_the_budget() {
        let limits = Limits {
            bytes: 1000,
            ratio: 10,
            ratio_floor: 100,
            ..Limits::default()
        };
        let budget = Budget::new(limits, 20);
        assert_eq!(budget.allowed(), 200);
        let data = vec![b'a'; 10_000];
        let mut metered = Metered {
            inner: &data[..],
            budget: &budget,
        };
        let mut out = Vec::new();
        let err = metered.read_to_end(&mut out).unwrap_err();
        assert_eq!(budget_hit(&err), Some("expansion ratio"));
        assert!(out.len() <= 200 + 8192, "{}", out.len());
        assert_eq!(inner_name("dir/app.env.gz"), "app.env");
        assert_eq!(inner_name("x.TGZ"), "x.tar");
        assert_eq!(inner_name("blob"), "blob.content");
    }
}
