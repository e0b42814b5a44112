//! CloudTrail's record of use added to findings about keys: the step `scan --iam` and `audit`
//! share (feature `aws`).

use super::CommandError;

/// Where CloudTrail evidence comes from, and over which window: `scan --iam` and `audit`.
pub(super) struct Trail<'a> {
    /// `--cloudtrail-s3 s3://bucket/prefix`: the log files a trail delivers.
    pub s3: Option<&'a str>,
    /// `--cloudtrail`: LookupEvents.
    pub lookup: bool,
    pub days: u32,
    pub as_of: i64,
}

impl Trail<'_> {
    /// Each account's keys, their recorded use added to the findings about them; a call that
    /// fails is a problem of the run (it fails closed), naming the account.
    pub(super) fn evidence(
        &self,
        aws: &crate::iam::AwsOptions,
        by_account: std::collections::BTreeMap<String, Vec<String>>,
        findings: &mut [crate::finding::Finding],
        problems: &mut Vec<String>,
    ) -> Result<(), CommandError> {
        use crate::iam::trail::{apply, fetch, Source};
        let source = match (self.s3, self.lookup) {
            (Some(url), _) => Source::parse_s3(url).map_err(CommandError::Usage)?,
            (None, true) => Source::LookupEvents,
            (None, false) => return Ok(()),
        };
        let window = (self.as_of - i64::from(self.days) * 86_400, self.as_of);
        for (account, mut keys) in by_account {
            keys.sort();
            keys.dedup();
            match fetch(aws, &source, &account, &keys, window) {
                Ok(events) => apply(findings, &events, &source, window),
                Err(e) => problems.push(format!("CloudTrail for account {account}: {e}")),
            }
        }
        Ok(())
    }
}
