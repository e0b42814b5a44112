//! What an AWS key ID says by itself: its kind, its account (decoded offline), whether it is
//! a documentation example or a placeholder, and whether a 40-character string can be a secret.

use std::collections::HashSet;

/// The kind of credential a key ID prefix names, or `None` for identifiers that are never credentials.
pub fn key_type(key_id: &str) -> Option<crate::finding::KeyType> {
    crate::finding::KeyType::of(key_id)
}

/// The account that owns a key, decoded from its ID without any network call:
/// base32 of characters 5 to 20, first 48 bits, `(z & 0x7fffffffff80) >> 7`.
/// Older keys (fifth character `I` or `J`) do not carry it.
pub fn account_id(key_id: &str) -> Option<String> {
    let body = key_id.as_bytes().get(4..20)?;
    if matches!(body[0], b'I' | b'J') {
        return None;
    }
    let mut z: u64 = 0;
    let mut bits = 0;
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        z = (z << 5) | u64::from(v);
        bits += 5;
        if bits >= 48 {
            break;
        }
    }
    // 10 characters give 50 bits; keep the first 48.
    let z = z >> (bits - 48);
    Some(format!("{:012}", (z & 0x7FFF_FFFF_FF80) >> 7))
}

pub use crate::context::Drop;

/// Known example values and placeholder words, loaded from `patterns/decoys.yml`.
#[derive(Debug, Default)]
pub struct Decoys {
    pub examples: HashSet<String>,
    /// Beginnings of the documentation keys; edited copies of them are examples too.
    pub example_prefixes: Vec<String>,
    /// Upper-case words whose presence marks a value as a placeholder.
    pub placeholder_words: Vec<String>,
    /// Keys of AWS's documentation accounts are kept for the live lookup to judge (`--iam`):
    /// emulators such as moto issue their keys in 123456789012, and there the key is live.
    pub keep_documentation_accounts: bool,
}

impl Decoys {
    /// Why `value` (a key ID or a secret) is not a real credential, if it is not.
    pub fn classify(&self, value: &str) -> Option<Drop> {
        let upper = value.to_ascii_uppercase();
        let edited_example = self
            .example_prefixes
            .iter()
            .any(|p| value.starts_with(p.as_str()));
        // A word found in a mixed-case secret counts only written in one case and only when it
        // dominates the value: a random secret that happens to hold `FaKe` or `Sample` is a
        // secret (about one in ten thousand would otherwise be dropped).
        let mixed = value.bytes().any(|b| b.is_ascii_lowercase())
            && value.bytes().any(|b| b.is_ascii_uppercase());
        let holds = |word: &str| {
            if !mixed {
                return upper.contains(word);
            }
            let found = value
                .find(word)
                .or_else(|| value.find(&word.to_ascii_lowercase()));
            found.is_some_and(|at| {
                let rest: String = value[..at]
                    .chars()
                    .chain(value[at + word.len()..].chars())
                    .collect();
                rest.len() < 24 || distinct(&rest) < 10
            })
        };
        let key_id = key_type(value).is_some() && value.len() == 20;
        // AWS's documentation account (123456789012) owns no real key.
        let documentation_account = key_id
            && !self.keep_documentation_accounts
            && account_id(value).is_some_and(|a| DOCUMENTATION_ACCOUNTS.contains(&a.as_str()));
        if self.examples.contains(value)
            || holds("EXAMPLE")
            || edited_example
            || documentation_account
        {
            return Some(Drop::DocumentationExample);
        }
        let body = if key_id { &value[4..] } else { value };
        // A value that starts with a placeholder word, in any case (`FakeValues99...`): one
        // random value in 16 million starts with a given four letters.
        let starts_with = |word: &str| {
            [value, body].iter().any(|v| {
                v.len() > word.len()
                    && v.as_bytes()[..word.len()].eq_ignore_ascii_case(word.as_bytes())
            })
        };
        if self
            .placeholder_words
            .iter()
            .any(|w| holds(w) || starts_with(w))
            || periodic(body)
            || longest_run(body) >= 6
            || distinct(body) <= 3
            || longest_sequence(body) >= 8
        {
            return Some(Drop::Placeholder);
        }
        None
    }
}

/// The accounts AWS's documentation uses in its examples, never anyone's.
pub const DOCUMENTATION_ACCOUNTS: [&str; 4] = [
    "123456789012",
    "111122223333",
    "444455556666",
    "777788889999",
];

/// A short unit repeated at least twice (`DEADBEEFDEADBEEF`), in any case.
fn periodic(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=8.min(b.len() / 2))
        .any(|unit| (unit..b.len()).all(|i| b[i].eq_ignore_ascii_case(&b[i - unit])))
}

fn longest_run(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for b in s.bytes() {
        let b = b.to_ascii_uppercase();
        run = if Some(b) == prev { run + 1 } else { 1 };
        prev = Some(b);
        best = best.max(run);
    }
    best
}

fn longest_sequence(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut best = 1.min(bytes.len());
    let mut run = 1;
    for w in bytes.windows(2) {
        let step = i16::from(w[1]) - i16::from(w[0]);
        run = if step == 1 || step == -1 { run + 1 } else { 1 };
        best = best.max(run);
    }
    best
}

fn distinct(s: &str) -> usize {
    let mut seen = [false; 256];
    s.bytes()
        .filter(|&b| !std::mem::replace(&mut seen[b as usize], true))
        .count()
}

/// Whether a 40-character `[A-Za-z0-9/+]` string looks like a random secret access key rather
/// than a hash, an identifier or a word: hex never is; a real key mixes cases, holds a digit or
/// a `/` or `+` (all but 1 in 4,000 random keys do) and has the entropy of random base64
/// (the lowest of 100,000 random keys measured 4.1 bits per character).
pub fn plausible_secret(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = b.iter().all(|c| c.is_ascii_hexdigit());
    let upper = b.iter().any(u8::is_ascii_uppercase);
    let lower = b.iter().any(u8::is_ascii_lowercase);
    let not_a_word = b
        .iter()
        .any(|c| c.is_ascii_digit() || *c == b'/' || *c == b'+');
    !hex && upper && lower && not_a_word && shannon_entropy(b) >= 4.0
}

fn shannon_entropy(b: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &c in b {
        counts[c as usize] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_reference_account() {
        assert_eq!(
            account_id("ASIAY34FZKBOKMUTVV7A").as_deref(),
            Some("609629065308")
        );
        assert_eq!(account_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_id("AKIAJ34FZKBOKMUTVV7A"), None);
    }

    #[test]
    fn prefixes_name_credentials_and_identifiers_apart() {
        assert_eq!(
            key_type("AKIAY34FZKBOKMUTVV7A"),
            Some(crate::finding::KeyType::LongTerm)
        );
        assert_eq!(
            key_type("ASIAY34FZKBOKMUTVV7A"),
            Some(crate::finding::KeyType::Temporary)
        );
        assert_eq!(key_type("AIDAY34FZKBOKMUTVV7A"), None);
        assert_eq!(key_type("AROAY34FZKBOKMUTVV7A"), None);
    }

    #[test]
    fn decoys_are_recognised() {
        let decoys = Decoys {
            examples: HashSet::new(),
            example_prefixes: vec!["AKIAIOSFODNN7".into()],
            placeholder_words: vec!["XXXX".into()],
            ..Decoys::default()
        };
        assert_eq!(
            decoys.classify("AKIAIOSFODNN7EXAMPLE"),
            Some(Drop::DocumentationExample)
        );
        assert_eq!(
            decoys.classify("AKIAXXXXXXXXXXXXXXXX"),
            Some(Drop::Placeholder)
        );
        assert_eq!(
            decoys.classify("AKIAIOSFODNN7EXAMPLF"),
            Some(Drop::DocumentationExample)
        );
        assert_eq!(
            decoys.classify("AKIAAAAAAAAAAAAAAAAA"),
            Some(Drop::Placeholder)
        );
        assert_eq!(
            decoys.classify("AKIAABCDEFGHIJKLMNOP"),
            Some(Drop::Placeholder)
        );
        assert_eq!(decoys.classify("AKIAY34FZKBOKMUTVV7A"), None);
        // A short unit repeated; a placeholder word first in any case.
        assert_eq!(
            decoys.classify("AKIADEADBEEFDEADBEEF"),
            Some(Drop::Placeholder)
        );
        let words = Decoys {
            placeholder_words: vec!["FAKE".into()],
            ..Decoys::default()
        };
        assert_eq!(
            words.classify("FakeValues99cl9bqJFVA3iFUm+yqVe08HxhXFE/"),
            Some(Drop::Placeholder)
        );
        assert_eq!(
            words.classify("AKIAFAKEY34FZKBOKMUT"),
            Some(Drop::Placeholder)
        );
        assert_eq!(
            words.classify("Tq3cE0mVh7yZ+2wR9kFakexFb8NsJd4pUa6GiOe1Ct"),
            None
        );
        // A key ID of the documentation account, and its twin one digit away.
        let of = |account: u64| {
            let z = (account << 7) << 2;
            let mut id = String::from("AKIA");
            for i in (0..10).rev() {
                let v = ((z >> (5 * i)) & 31) as u8;
                id.push(if v < 26 {
                    (b'A' + v) as char
                } else {
                    (b'2' + v - 26) as char
                });
            }
            id.push_str("QMRTWX");
            id
        };
        assert_eq!(
            account_id(&of(123456789012)).as_deref(),
            Some("123456789012")
        );
        assert_eq!(
            words.classify(&of(123456789012)),
            Some(Drop::DocumentationExample)
        );
        assert_eq!(
            account_id(&of(123456789013)).as_deref(),
            Some("123456789013")
        );
        assert_eq!(words.classify(&of(123456789013)), None);
        assert_eq!(
            words.classify(&of(111122223333)),
            Some(Drop::DocumentationExample)
        );
        let live = Decoys {
            keep_documentation_accounts: true,
            ..Decoys::default()
        };
        assert_eq!(live.classify(&of(123456789012)), None);
    }

    #[test]
    fn secrets_need_mixed_case_and_entropy() {
        assert!(plausible_secret("Tq3cE0mVh7yZ+2wR9kLx/Fb8NsJd4pUa6GiOe1Ct"));
        assert!(!plausible_secret(
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        ));
        assert!(!plausible_secret(
            "ThisIsTheNameOfAVeryLongJavaClassFactory"
        ));
    }
}
