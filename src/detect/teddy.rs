//! The prefilter's literal search: Teddy (Geoff Langdale's SIMD algorithm, as Hyperscan and
//! aho-corasick use it), with ASCII case folding in its masks and two independent groups of
//! literals in one pass.
//!
//! The `regex` alternation it replaces spells a case-insensitive literal out as its case
//! variants (`aws` is eight), so the rule literals and decoding's hints came to 52 three-byte
//! fingerprints: past the 32 that slim Teddy (32 bytes a step) takes, so aho-corasick ran fat
//! Teddy (16 bytes a step), and the base64-of-base64 hints took a second pass of their own.
//! Here a folded letter simply sets both its cases' high nibbles in the bucket's mask, so every
//! literal is one fingerprint and all of them fit one slim pass.
//!
//! Eight buckets hold some 60 literals, so a bucket's masks admit every mix of its literals'
//! nibbles: chosen badly, the false candidates cost more than the search (sorted into runs by
//! their starts, 11 candidates per 1,000 bytes of source text against 0.4 that truly begin a
//! literal's fingerprint). The buckets are chosen by how often the bytes their masks admit
//! occur (`BYTE_FREQUENCY`), and four bytes are checked, not three: 0.6 per 1,000.
//!
//! What it reports is what the alternations reported, hit for hit: in each group, the
//! leftmost match, the longest literal matching there, then the next at or past its end (the
//! alternation sorted longest first, leftmost-first, non-overlapping). A group's matches are
//! found apart from the other group's, as the two passes found them. The engine's tests and
//! its fuzz target compare the two on every input.
//!
//! Text dense with the literals' starts (`aws_aws_aws_`: a candidate every 4 bytes) costs a
//! check per candidate, 4x the alternations' lazy DFA; past `limits::DEFAULT.
//! prefilter_candidates` in a window, the search stops and says where each group resumes, and
//! the engine runs the alternations over the rest.

/// Bytes of each literal's start the masks check (its fingerprint); a shorter literal's bucket
/// admits any byte past its end.
pub const MASK: usize = 4;
/// Every literal is at least this long, or the engine keeps the `regex` search.
pub const MIN_LEN: usize = 3;
/// Literals Teddy takes (a bucket's false candidates grow with its literals past this).
pub const MAX_PATTERNS: usize = 64;
/// Groups of literals searched apart in the one pass.
pub const GROUPS: usize = 2;
const BUCKETS: usize = 8;
const WINDOW: usize = crate::limits::DEFAULT.prefilter_window;
const WINDOW_CANDIDATES: usize = crate::limits::DEFAULT.prefilter_candidates;
const _: () = assert!(WINDOW.is_multiple_of(32) && WINDOW.is_power_of_two());

/// One literal to find.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub bytes: Vec<u8>,
    /// Matched without regard to ASCII case.
    pub fold: bool,
    /// Which group it belongs to (`< GROUPS`).
    pub group: usize,
}

impl Pattern {
    /// Whether `byte` of this literal matches in either case.
    fn folds(&self, byte: u8) -> bool {
        self.fold && byte.is_ascii_alphabetic()
    }
}

pub struct Teddy {
    patterns: Vec<Pattern>,
    /// The literals of each bucket, as verification reads them.
    buckets: [Vec<Entry>; BUCKETS],
    /// For each fingerprint byte, the buckets a low and a high nibble may belong to.
    lo: [[u8; 16]; MASK],
    hi: [[u8; 16]; MASK],
    /// The buckets whose masks admit any byte at each fingerprint position (a literal in them
    /// is shorter): what a position past the haystack's end may be.
    wild: [u8; MASK],
    avx2: bool,
}

impl Teddy {
    /// `None` when a literal is shorter than `MIN_LEN` or not ASCII, a group is out of range,
    /// or there are more than `MAX_PATTERNS`: the caller keeps its general search then. (It
    /// runs without AVX2 too, a position at a time, as it does a haystack's last step: correct,
    /// but slower than aho-corasick's own SIMD there; `available` says which.)
    pub fn new(patterns: Vec<Pattern>) -> Option<Teddy> {
        if patterns.len() > MAX_PATTERNS
            || patterns
                .iter()
                .any(|p| p.bytes.len() < MIN_LEN || !p.bytes.is_ascii() || p.group >= GROUPS)
        {
            return None;
        }
        let masks: Vec<Masks> = patterns.iter().map(Masks::of).collect();
        let assignment = assign(&masks);
        let mut buckets: [Vec<Entry>; BUCKETS] = Default::default();
        let mut bucket_masks = [Masks::default(); BUCKETS];
        for (i, &bucket) in assignment.iter().enumerate() {
            buckets[bucket].push(Entry::of(i, &patterns[i]));
            bucket_masks[bucket].add(&masks[i]);
        }
        let (mut lo, mut hi, mut wild) = ([[0u8; 16]; MASK], [[0u8; 16]; MASK], [0u8; MASK]);
        for (bucket, m) in bucket_masks.iter().enumerate() {
            for k in 0..MASK {
                for nibble in 0..16 {
                    if m.lo[k] >> nibble & 1 == 1 {
                        lo[k][nibble] |= 1 << bucket;
                    }
                    if m.hi[k] >> nibble & 1 == 1 {
                        hi[k][nibble] |= 1 << bucket;
                    }
                }
                if m.lo[k] == u16::MAX && m.hi[k] == u16::MAX {
                    wild[k] |= 1 << bucket;
                }
            }
        }
        Some(Teddy {
            patterns,
            buckets,
            lo,
            hi,
            wild,
            avx2: available(),
        })
    }

    pub fn pattern(&self, index: usize) -> &Pattern {
        &self.patterns[index]
    }

    /// Calls `found(pattern, start)` for every match, by start (see the module's comment).
    /// `Some(resume)` when it stopped early, candidates being too dense: every match starting
    /// before the stop has been reported, and group `g`'s search goes on at `resume[g]`.
    pub fn for_each(
        &self,
        hay: &[u8],
        mut found: impl FnMut(usize, usize),
    ) -> Option<[usize; GROUPS]> {
        let mut state = State {
            next: [0; GROUPS],
            best: [None; GROUPS],
        };
        let mut from = 0;
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is true only where the CPU has AVX2.
            let (stopped, dense) = unsafe { self.slim_avx2(hay, &mut state, &mut found) };
            if dense {
                return Some(state.next.map(|next| next.max(stopped)));
            }
            from = stopped;
        }
        for at in from..hay.len() {
            let mut bits = u8::MAX;
            for k in 0..MASK {
                bits &= match hay.get(at + k) {
                    Some(&byte) => {
                        self.lo[k][usize::from(byte & 15)] & self.hi[k][usize::from(byte >> 4)]
                    }
                    None => self.wild[k],
                };
            }
            if bits != 0 {
                self.verify(hay, at, bits, &mut state, &mut found);
            }
        }
        None
    }

    /// The literals of the buckets in `bits` that match at `at`: the longest in each group
    /// whose last match ended at or before `at`.
    #[inline]
    fn verify(
        &self,
        hay: &[u8],
        at: usize,
        mut bits: u8,
        state: &mut State,
        found: &mut impl FnMut(usize, usize),
    ) {
        // The four bytes at `at`, as every entry's head is compared (zeros past the end: a
        // literal longer than what is left fails the length check below whatever they match).
        let word = match hay.get(at..at + 4) {
            Some(four) => u32::from_le_bytes([four[0], four[1], four[2], four[3]]),
            None => {
                let mut four = [0u8; 4];
                four[..hay.len() - at].copy_from_slice(&hay[at..]);
                u32::from_le_bytes(four)
            }
        };
        while bits != 0 {
            let bucket = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            for entry in &self.buckets[bucket] {
                let group = usize::from(entry.group);
                let len = entry.len as usize;
                if (word | entry.fold) & entry.care != entry.head
                    || at < state.next[group]
                    || state.best[group].is_some_and(|(_, best)| best >= len)
                {
                    continue;
                }
                let index = entry.index as usize;
                let pattern = &self.patterns[index];
                let Some(text) = hay.get(at..at + len) else {
                    continue;
                };
                // The head matched: only the rest is compared.
                let (text, rest) = (&text[4.min(len)..], &pattern.bytes[4.min(len)..]);
                let matched = if pattern.fold {
                    text.eq_ignore_ascii_case(rest)
                } else {
                    text == rest
                };
                if matched {
                    state.best[group] = Some((index, len));
                }
            }
        }
        for group in 0..GROUPS {
            if let Some((index, len)) = state.best[group].take() {
                state.next[group] = at + len;
                found(index, at);
            }
        }
    }

    /// The slim AVX2 search over every position whose 32-byte step (and the `MASK - 1` bytes
    /// after it) lies in `hay`; returns the first position it did not look at, and whether it
    /// stopped there because a window had more than `WINDOW_CANDIDATES`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn slim_avx2(
        &self,
        hay: &[u8],
        state: &mut State,
        found: &mut impl FnMut(usize, usize),
    ) -> (usize, bool) {
        use std::arch::x86_64::*;
        // SAFETY (every load below): `lo` and `hi` rows are 16 bytes; a step reads 32 bytes
        // from `at + k` for `k < MASK`, and the loop runs only while `at + 32 + MASK - 1` is
        // within `hay`.
        let table = |row: &[u8; 16]| unsafe {
            _mm256_broadcastsi128_si256(_mm_loadu_si128(row.as_ptr().cast()))
        };
        let lo: [__m256i; MASK] = std::array::from_fn(|k| table(&self.lo[k]));
        let hi: [__m256i; MASK] = std::array::from_fn(|k| table(&self.hi[k]));
        let nibble = _mm256_set1_epi8(0x0F);
        let zero = _mm256_setzero_si256();
        let mut at = 0;
        let mut window = 0;
        while at + 32 + MASK - 1 <= hay.len() {
            if at % WINDOW == 0 {
                if window > WINDOW_CANDIDATES {
                    return (at, true);
                }
                window = 0;
            }
            let base = hay.as_ptr().add(at);
            let mut res = _mm256_set1_epi8(-1);
            for k in 0..MASK {
                let chunk = _mm256_loadu_si256(base.add(k).cast());
                let low = _mm256_and_si256(chunk, nibble);
                let high = _mm256_and_si256(_mm256_srli_epi16(chunk, 4), nibble);
                let m = _mm256_and_si256(
                    _mm256_shuffle_epi8(lo[k], low),
                    _mm256_shuffle_epi8(hi[k], high),
                );
                res = _mm256_and_si256(res, m);
            }
            let mut candidates = !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(res, zero)) as u32);
            if candidates != 0 {
                window += candidates.count_ones() as usize;
                let mut bits = [0u8; 32];
                _mm256_storeu_si256(bits.as_mut_ptr().cast(), res);
                while candidates != 0 {
                    let j = candidates.trailing_zeros() as usize;
                    candidates &= candidates - 1;
                    self.verify(hay, at + j, bits[j], state, found);
                }
            }
            at += 32;
        }
        (at, false)
    }
}

/// One literal as verification reads it: its first four bytes (fewer for a shorter one) as a
/// little-endian word, so most false candidates are turned away by one compare.
struct Entry {
    /// The head, letters lower-cased where the literal is folded.
    head: u32,
    /// Set bits: the ASCII case bit of each folded letter of the head, OR-ed into the text's
    /// word so that either case compares equal.
    fold: u32,
    /// The bytes of the head (all four, or the literal's length).
    care: u32,
    len: u32,
    index: u16,
    group: u8,
}

impl Entry {
    fn of(index: usize, pattern: &Pattern) -> Entry {
        let (mut head, mut fold, mut care) = ([0u8; 4], [0u8; 4], [0u8; 4]);
        for (k, &byte) in pattern.bytes.iter().take(4).enumerate() {
            let letter = pattern.folds(byte);
            head[k] = if letter {
                byte.to_ascii_lowercase()
            } else {
                byte
            };
            fold[k] = if letter { 0x20 } else { 0 };
            care[k] = 0xFF;
        }
        Entry {
            head: u32::from_le_bytes(head),
            fold: u32::from_le_bytes(fold),
            care: u32::from_le_bytes(care),
            len: pattern.bytes.len() as u32,
            index: index as u16,
            group: pattern.group as u8,
        }
    }
}

/// The nibbles a literal (or a bucket of them) admits at each fingerprint position, as bit sets.
#[derive(Clone, Copy, Default)]
struct Masks {
    lo: [u16; MASK],
    hi: [u16; MASK],
}

impl Masks {
    fn of(pattern: &Pattern) -> Masks {
        let mut m = Masks::default();
        for k in 0..MASK {
            let Some(&byte) = pattern.bytes.get(k) else {
                (m.lo[k], m.hi[k]) = (u16::MAX, u16::MAX);
                continue;
            };
            let spellings = if pattern.folds(byte) {
                [byte.to_ascii_lowercase(), byte.to_ascii_uppercase()]
            } else {
                [byte, byte]
            };
            for b in spellings {
                m.lo[k] |= 1 << (b & 15);
                m.hi[k] |= 1 << (b >> 4);
            }
        }
        m
    }

    fn add(&mut self, other: &Masks) {
        for k in 0..MASK {
            self.lo[k] |= other.lo[k];
            self.hi[k] |= other.hi[k];
        }
    }

    /// How often a position passes these masks, were bytes drawn independently by
    /// `BYTE_FREQUENCY`.
    fn rate(&self) -> f64 {
        let mut rate = 1.0;
        for k in 0..MASK {
            let mut admitted = 0u32;
            for hi in (0..16).filter(|h| self.hi[k] >> h & 1 == 1) {
                for lo in (0..16).filter(|l| self.lo[k] >> l & 1 == 1) {
                    admitted += u32::from(BYTE_FREQUENCY[hi << 4 | lo]);
                }
            }
            rate *= f64::from(admitted) / 65536.0;
        }
        rate
    }
}

/// Each literal's bucket: first runs of the literals sorted by their folded starts, then
/// moves of one literal to another bucket while a move lowers the estimated rate of false
/// candidates (`Masks::rate`, summed over the buckets), at most `SWEEPS` passes over them.
fn assign(masks: &[Masks]) -> Vec<usize> {
    const SWEEPS: usize = 8;
    let n = masks.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Literals shorter than the fingerprint, which admit anything past their end, go together.
    order.sort_by_key(|&i| (masks[i].lo.contains(&u16::MAX), masks[i].lo, masks[i].hi));
    let mut bucket = vec![0; n];
    for (rank, &i) in order.iter().enumerate() {
        bucket[i] = rank * BUCKETS / n.max(1);
    }
    // The rate of bucket `b` with literal `with` added or `without` taken out.
    let union = |bucket: &[usize], b: usize, with: Option<usize>, without: Option<usize>| {
        let (mut m, mut any) = (Masks::default(), false);
        for i in (0..n).filter(|&i| (bucket[i] == b && Some(i) != without) || Some(i) == with) {
            m.add(&masks[i]);
            any = true;
        }
        // An empty bucket admits nothing.
        if any {
            m.rate()
        } else {
            0.0
        }
    };
    let mut rates: Vec<f64> = (0..BUCKETS)
        .map(|b| union(&bucket, b, None, None))
        .collect();
    for _ in 0..SWEEPS {
        let mut moved = false;
        for i in 0..n {
            let from = bucket[i];
            let left = union(&bucket, from, None, Some(i));
            for to in (0..BUCKETS).filter(|&to| to != from) {
                let joined = union(&bucket, to, Some(i), None);
                // Only a clear gain moves a literal, so that the passes end.
                if left + joined < (rates[from] + rates[to]) * (1.0 - 1e-9) {
                    bucket[i] = to;
                    (rates[from], rates[to]) = (left, joined);
                    moved = true;
                    break;
                }
            }
        }
        if !moved {
            break;
        }
    }
    bucket
}

/// How many of every 65,536 bytes are each byte value (at least 1), counted over the 589 MB
/// of files in the mixed benchmark tree (`benches/mixed-tree.sh`: crate sources, Terraform,
/// CloudFormation, botocore's JSON models, and binaries).
#[rustfmt::skip]
const BYTE_FREQUENCY: [u16; 256] = [
    5456, 260, 91, 144, 100, 34, 55, 53, 47, 192, 1375, 5, 7, 9, 6, 8,
    13, 5, 7, 5, 8, 5, 6, 5, 8, 7, 6, 6, 7, 6, 7, 5,
    11828, 68, 1125, 99, 162, 142, 67, 59, 379, 378, 60, 30, 1044, 207, 614, 536,
    751, 520, 388, 273, 264, 211, 349, 175, 230, 154, 1084, 227, 251, 216, 289, 21,
    76, 298, 130, 291, 221, 344, 154, 101, 78, 283, 18, 47, 184, 132, 221, 206,
    215, 21, 265, 357, 316, 141, 76, 75, 46, 46, 19, 134, 97, 134, 12, 1204,
    119, 2140, 568, 1136, 1215, 3346, 619, 434, 619, 1911, 41, 187, 1059, 892, 1780, 1803,
    1068, 127, 1833, 1829, 2685, 1078, 290, 294, 496, 391, 109, 224, 33, 224, 8, 5,
    36, 6, 8, 6, 10, 8, 16, 5, 7, 6, 6, 5, 13, 5, 6, 5,
    36, 6, 6, 6, 6, 6, 6, 10, 5, 5, 5, 5, 6, 5, 6, 6,
    7, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 5,
    5, 5, 5, 5, 6, 5, 5, 6, 6, 6, 5, 7, 5, 5, 5, 5,
    89, 5, 4, 5, 5, 5, 5, 5, 5, 5, 5, 4, 7, 4, 6, 5,
    4, 4, 4, 4, 4, 4, 5, 5, 4, 6, 5, 5, 5, 6, 5, 5,
    7, 14, 13, 6, 5, 5, 4, 5, 4, 4, 6, 6, 6, 5, 5, 6,
    9, 4, 5, 6, 4, 4, 4, 5, 4, 5, 4, 6, 5, 4, 6, 24,
];

/// Each group's end of its last match, and the match being chosen at the current position.
struct State {
    next: [usize; GROUPS],
    best: [Option<(usize, usize)>; GROUPS],
}

/// Whether this CPU runs the SIMD search.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(bytes: &str, fold: bool, group: usize) -> Pattern {
        Pattern {
            bytes: bytes.as_bytes().to_vec(),
            fold,
            group,
        }
    }

    fn hits(teddy: &Teddy, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        assert!(teddy.for_each(hay, |p, at| out.push((p, at))).is_none());
        out
    }

    #[test]
    fn folds_case_and_prefers_the_longest_leftmost() {
        let teddy = Teddy::new(vec![
            pattern("aws_secret", true, 0),
            pattern("aws_secret_access_key", true, 0),
            pattern("secret_access_key", true, 0),
            pattern("AKIA", false, 0),
            pattern("KIAQ", false, 1),
        ])
        .unwrap();
        // Long enough that the SIMD steps run, with hits on both sides of a step's edge.
        let mut hay = vec![b'.'; 100];
        hay.extend_from_slice(b"AWS_Secret_Access_KEY=x akia AKIAQ");
        hay.extend(std::iter::repeat_n(b'.', 40));
        let at = |s: &str| 100 + s.len();
        assert_eq!(
            hits(&teddy, &hay),
            vec![
                (1, 100),
                (3, at("AWS_Secret_Access_KEY=x akia ")),
                (4, at("AWS_Secret_Access_KEY=x akia A"))
            ]
        );
        // The same without the SIMD steps (a haystack shorter than one).
        let short = b"aws_secretX AKIAQ";
        assert_eq!(hits(&teddy, short), vec![(0, 0), (3, 12), (4, 13)]);
    }

    /// Dense candidates stop the search at a window's edge (when the CPU runs it), with every
    /// match before it reported and each group's resumption past its last match.
    #[test]
    fn stops_where_candidates_are_dense() {
        let teddy =
            Teddy::new(vec![pattern("aws_key", true, 0), pattern("ws_a", false, 1)]).unwrap();
        let mut hay = b"aws_".repeat(WINDOW);
        hay.extend_from_slice(b"aws_key");
        let mut out = Vec::new();
        let resume = teddy.for_each(&hay, |p, at| out.push((p, at)));
        if !available() {
            assert!(resume.is_none());
            return;
        }
        // `ws_a` at 1, 5, 9 ... through the first window, the last at WINDOW - 3.
        assert_eq!(resume, Some([WINDOW, WINDOW + 1]));
        assert_eq!(out.len(), WINDOW / 4);
        assert!(out
            .iter()
            .all(|&(p, at)| p == 1 && at % 4 == 1 && at < WINDOW));
        // Sparse candidates never stop it.
        let sparse: Vec<u8> = b"aws_key ".iter().chain(&[b'.'; 200]).copied().collect();
        assert!(teddy.for_each(&sparse.repeat(1000), |_, _| ()).is_none());
    }

    #[test]
    fn refuses_what_it_cannot_search() {
        assert!(Teddy::new(vec![pattern("ab", false, 0)]).is_none());
        assert!(Teddy::new(vec![pattern("cl\u{e9}", true, 0)]).is_none());
        assert!(Teddy::new(vec![pattern("abc", false, GROUPS)]).is_none());
        assert!(Teddy::new(vec![pattern("abc", false, 0); MAX_PATTERNS + 1]).is_none());
        assert!(Teddy::new(vec![pattern("abc", false, 0); MAX_PATTERNS]).is_some());
    }
}
