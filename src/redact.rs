//! Masking: how a secret may be shown. A leaf, used by every stage that writes text a person
//! or a report will read. Key IDs stay readable (they name the key to rotate); secrets show at
//! most their first four characters.

use std::ops::Range;

/// `%XX` sequences undone (RFC 3986: `+` stays `+`); a `%` not followed by two hex digits
/// stays as it is. Shared by the spellings below and by IAM's URL-encoded policy documents.
pub fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = (bytes[i] == b'%')
            .then(|| Some((hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?)))
            .flatten();
        match pair {
            Some((hi, lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

/// The ways a secret value may be spelled in a file: as it is, with `/` escaped as JSON allows
/// (`\/`), and percent-encoded (upper- and lower-case hex), each computed from the value with
/// those encodings undone. Values under 8 bytes have no other spellings worth searching.
pub fn spellings(value: &[u8]) -> Vec<Vec<u8>> {
    if value.len() < 8 {
        return Vec::new();
    }
    // Undo `\/` and `%XX` first, so that any spelling found leads to all the others.
    let unescaped: Vec<u8> = {
        let mut out = Vec::with_capacity(value.len());
        let mut rest = value;
        while let Some((&b, tail)) = rest.split_first() {
            if b == b'\\' && tail.first() == Some(&b'/') {
                out.push(b'/');
                rest = &tail[1..];
            } else {
                out.push(b);
                rest = tail;
            }
        }
        out
    };
    let plain = percent_decode(&unescaped);
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
    let mut json = Vec::with_capacity(plain.len() + 8);
    let (mut upper, mut lower) = (Vec::new(), Vec::new());
    for &b in &plain {
        if b == b'/' {
            json.extend_from_slice(b"\\/");
        } else {
            json.push(b);
        }
        if unreserved(b) {
            upper.push(b);
            lower.push(b);
        } else {
            upper.extend_from_slice(format!("%{b:02X}").as_bytes());
            lower.extend_from_slice(format!("%{b:02x}").as_bytes());
        }
    }
    let mut out = vec![plain, json, upper, lower];
    out.sort();
    out.dedup();
    out
}

/// A secret by its first four characters: `wJal****`.
pub fn secret(value: &str) -> String {
    let prefix: String = value.chars().take(4).collect();
    format!("{prefix}****")
}

/// `text` (which starts at byte `offset` of its blob) with every secret span that overlaps it
/// masked to its first four characters (none when the text's edges cut it), then
/// every run of base64 characters long enough to be a secret (24 or more), and any run cut by
/// the text's edges. Spans are byte ranges of the blob.
pub fn excerpt(
    text: &str,
    offset: usize,
    secrets: &[Range<usize>],
    cut_left: bool,
    cut_right: bool,
) -> String {
    let end = offset + text.len();
    // (start, end, whole): a secret cut by the text's edges shows none of its characters.
    let mut spans: Vec<(usize, usize, bool)> = secrets
        .iter()
        .filter(|s| s.start < end && s.end > offset)
        .map(|s| {
            let whole = s.start >= offset && s.end <= end;
            (s.start.max(offset) - offset, s.end.min(end) - offset, whole)
        })
        .collect();
    if spans.is_empty() {
        return mask(text, cut_left, cut_right);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, stop, whole) in spans {
        let (start, stop) = (start.max(at), stop.max(at));
        if start >= stop {
            continue;
        }
        let (Some(before), Some(secret)) = (text.get(at..start), text.get(start..stop)) else {
            // A span that does not fall on character boundaries: mask from here on.
            out.push_str(&mask(
                text.get(at..).unwrap_or(""),
                cut_left && at == 0,
                cut_right,
            ));
            return out;
        };
        out.push_str(&mask(before, cut_left && at == 0, false));
        let keep = if whole && !(start == 0 && cut_left) && !(stop == text.len() && cut_right) {
            4
        } else {
            0
        };
        out.extend(secret.chars().take(keep));
        out.push_str("****");
        at = stop;
    }
    out.push_str(&mask(&text[at..], false, cut_right));
    out
}

/// Masks every run of base64 characters long enough to be a secret (24 or more), and any run
/// cut by the text's edges, keeping at most four characters. Key IDs (20) stay readable.
pub fn mask(text: &str, cut_left: bool, cut_right: bool) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '+');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_b64(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run_start = i;
        while i < chars.len() && is_b64(chars[i]) {
            i += 1;
        }
        let run = &chars[run_start..i];
        let at_cut = (cut_left && run_start == 0) || (cut_right && i == chars.len());
        if !at_cut && arn_resource(&chars[..run_start], run) {
            out.extend(run.iter());
        } else if run.len() >= 24 || (at_cut && run.len() > 4) {
            out.extend(run.iter().take(if at_cut { 0 } else { 4 }));
            out.push_str("****");
        } else {
            out.extend(run.iter());
        }
    }
    out
}

/// Whether `run`, preceded by `before`, is the resource part of an ARN made of names
/// (`arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`): the token it
/// ends starts with `arn:aws` and has its five colons, and the run reads as names (no `+`, at
/// most two digits in each `/` segment), which a random secret does not.
fn arn_resource(before: &[char], run: &[char]) -> bool {
    let start = before
        .iter()
        .rposition(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ',' | '(' | '[' | '`'))
        .map_or(0, |i| i + 1);
    let token = &before[start..];
    let arn = ['a', 'r', 'n', ':', 'a', 'w', 's'];
    if !token.starts_with(&arn) || token.iter().filter(|c| **c == ':').count() < 5 {
        return false;
    }
    !run.contains(&'+')
        && run
            .split(|c| *c == '/')
            .all(|segment| segment.iter().filter(|c| c.is_ascii_digit()).count() <= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_hides_long_runs_and_keeps_key_ids() {
        let line = "id=AKIAYGTTU3F4ZNIBPSU4 secret=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";
        assert_eq!(
            mask(line, false, false),
            "id=AKIAYGTTU3F4ZNIBPSU4 secret=UYDK****"
        );
        assert_eq!(mask("9SGewL2AGe x", true, false), "**** x");
    }

    #[test]
    fn aws_managed_policy_arns_stay_readable_and_secrets_in_arns_do_not() {
        let arn = "policy_arn = \"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role\"";
        assert_eq!(mask(arn, false, false), arn);
        let plain = "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRoleForEdgeFunctions";
        assert_eq!(mask(plain, false, false), plain);
        // The twins: a secret-shaped segment in an ARN, and a name-shaped run outside one.
        let secret = "arn:aws:iam::123456789012:user/UYDK9SGewL2AGe4Ae/yHC3A/lCbFs83cEDU3qLyj";
        assert!(!mask(secret, false, false).contains("lCbFs83cEDU3qLyj"));
        let outside = "name=AmazonEC2ContainerServiceforEC2Role";
        assert_eq!(mask(outside, false, false), "name=Amaz****");
    }

    #[test]
    fn known_secret_spans_are_masked_whatever_their_length() {
        // A short secret (an escaped spelling, say) is masked by its span, not its shape.
        let text = "pw=abc\\u0041def end";
        let spans = vec![std::ops::Range {
            start: 103,
            end: 115,
        }];
        let masked = excerpt(text, 100, &spans, false, false);
        assert_eq!(masked, "pw=abc\\**** end");
        assert!(!masked.contains("def"), "{masked}");
        assert_eq!(secret("wJalrXUtnFEMI"), "wJal****");
    }
}
