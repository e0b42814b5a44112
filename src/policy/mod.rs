//! Weak IAM policies in infrastructure-as-code: Terraform, CloudFormation (and SAM), Serverless
//! and policy JSON. `extract` turns a file into policy documents whose elements keep their
//! spans; `checks` judge them against the action database (`actions`). `Policies` is the
//! pipeline's detector; `rules` documents every check for the catalogue.

#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub mod access;
pub mod actions;
pub mod checks;
pub mod conditions;
pub mod eval;
pub mod extract;
pub mod managed;
pub mod model;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::context::{BlobContext, Detector};
use crate::finding::{
    fingerprint, value_digest, Facts, Finding, Origin, Related, Remedy, Step, Suppression,
};
use crate::rule::{Family, RuleMeta, Severity};

/// The policy detector: files that do not look like IaC cost one name check.
#[derive(Clone, Debug, Default)]
pub struct Policies {
    /// Report policy documents nested anywhere in JSON data, not only in deployable IaC.
    pub anywhere: bool,
    /// Terraform modules (directories) already read, shared by the workers of one scan.
    pub modules: Arc<Modules>,
    /// For `--staged` scans: the working tree, where a staged file's module lives.
    pub worktree: Option<PathBuf>,
    /// The day time-bound conditions are judged at (`YYYY-MM-DD`, `--as-of`'s); `None`: today.
    pub today: Option<String>,
}

/// Terraform modules read from disk, by directory: what each `.tf` file defines and uses.
#[derive(Debug, Default)]
pub struct Modules {
    seen: Mutex<HashMap<PathBuf, ModuleFiles>>,
    /// Bytes of text held by readings not yet taken by their own file's scan.
    held: AtomicU64,
}

/// A module's `.tf` files, each read on its own.
type ModuleFiles = Arc<Vec<ModuleFile>>;

#[derive(Debug)]
struct ModuleFile {
    name: String,
    defined: Vec<String>,
    dangling: Vec<extract::terraform::DataUse>,
    /// The whole reading and the text it was made from, until the file itself is scanned
    /// (and takes it) or the scan ends: a file is parsed once, not once more for its module.
    reading: Mutex<Option<(String, extract::terraform::Reading)>>,
}

/// A module reads at most this many `.tf` files of this size (its other files' documents are
/// then judged file by file): a directory of thousands of generated files costs a bounded
/// look.
const MODULE_FILES: usize = crate::limits::DEFAULT.module_files;
const MODULE_FILE_BYTES: u64 = crate::limits::DEFAULT.module_file_bytes;
/// And at most this much in all, per module.
const MODULE_BYTES: u64 = crate::limits::DEFAULT.module_bytes;
/// Readings waiting for their file's own scan hold at most this much text in all (a module's
/// files the scan never reaches, such as ignored ones, hold theirs until it ends); past it a
/// file is parsed again when it is scanned.
const HELD_BYTES: u64 = crate::limits::DEFAULT.held_bytes;

impl Modules {
    /// The other files of the module `path` is in, as a view, with this file's own reading
    /// when the module read the same `text`; unknown off disk.
    fn view(
        &self,
        origin: &Origin,
        worktree: Option<&Path>,
        text: &str,
    ) -> extract::terraform::ModuleView {
        let staged;
        let path = match (origin, worktree) {
            (Origin::File { path, .. }, _) => path,
            (Origin::Index { path }, Some(root)) => {
                staged = root.join(path);
                &staged
            }
            _ => return extract::terraform::ModuleView::default(),
        };
        let Some(dir) = path.parent() else {
            return extract::terraform::ModuleView::default();
        };
        let me = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let files = {
            let cached = self.seen.lock().map(|m| m.get(dir).cloned()).ok().flatten();
            match cached {
                Some(files) => files,
                None => {
                    let files = Arc::new(self.read_module(dir));
                    let mut m = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                    // Another worker may have read the module meanwhile: keep the first
                    // reading, and let this one's held text go.
                    let kept = m.entry(dir.to_path_buf()).or_insert_with(|| files.clone());
                    if !Arc::ptr_eq(kept, &files) {
                        self.release(&files);
                    }
                    kept.clone()
                }
            }
        };
        let mut view = extract::terraform::ModuleView {
            known: true,
            ..Default::default()
        };
        for file in files.iter() {
            if file.name != me {
                view.add(&file.name, &file.defined, &file.dangling);
                continue;
            }
            if let Some((read, reading)) = self.take(file) {
                if read == text {
                    *view.own.get_mut() = Some(reading);
                }
            }
        }
        view
    }

    /// Gives back what `files` hold of the budget (a reading nobody will take).
    fn release(&self, files: &[ModuleFile]) {
        for file in files {
            self.take(file);
        }
    }

    /// Every `.tf` file of a directory that mentions data documents, read on its own.
    fn read_module(&self, dir: &Path) -> Vec<ModuleFile> {
        module_texts(dir)
            .into_iter()
            .filter(|(_, text)| {
                extract::terraform::needs_module(text) && extract::terraform::may_declare(text)
            })
            .filter_map(|(name, text)| {
                let reading = extract::terraform::read(&text).ok()?;
                let (defined, dangling) = (reading.defined().to_vec(), reading.dangling().to_vec());
                let size = text.len() as u64;
                let held = self.held.fetch_add(size, Ordering::Relaxed);
                let keep = if held + size <= HELD_BYTES {
                    Some((text, reading))
                } else {
                    self.held.fetch_sub(size, Ordering::Relaxed);
                    None
                };
                Some(ModuleFile {
                    name,
                    defined,
                    dangling,
                    reading: Mutex::new(keep),
                })
            })
            .collect()
    }

    /// A file's reading, taken out of the module (once) and out of the budget.
    fn take(&self, file: &ModuleFile) -> Option<(String, extract::terraform::Reading)> {
        let taken = file.reading.lock().ok().and_then(|mut r| r.take())?;
        self.held.fetch_sub(taken.0.len() as u64, Ordering::Relaxed);
        Some(taken)
    }
}

/// A module folder's `.tf` files by name, with their text, in name order: at most
/// `MODULE_FILES` files of `MODULE_FILE_BYTES` each and `MODULE_BYTES` in all.
fn module_texts(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
        .filter(|(n, _)| n.ends_with(".tf"))
        .take(MODULE_FILES)
        .collect();
    names.sort();
    let mut budget = MODULE_BYTES;
    names
        .into_iter()
        .filter_map(|(name, path)| {
            let len = std::fs::metadata(&path).ok().filter(|m| m.is_file())?.len();
            if len > MODULE_FILE_BYTES || len > budget {
                return None;
            }
            budget -= len;
            Some((name, std::fs::read_to_string(&path).ok()?))
        })
        .collect()
}

impl Detector for Policies {
    fn scan(&self, cx: &BlobContext, out: &mut Vec<Finding>) {
        // Every blob passes here: decide on the borrowed path before anything is allocated.
        let path = cx.origin().rel();
        if !extract::may_be_iac(path) {
            return;
        }
        // Then on the bytes: most JSON and YAML is data, not worth validating as UTF-8.
        let Some(format) = extract::format_of(path, cx.bytes()) else {
            return;
        };
        let Ok(text) = std::str::from_utf8(cx.bytes()) else {
            return;
        };
        let terraform = format == extract::Format::Terraform;
        let module = if terraform && extract::terraform::needs_module(text) {
            self.modules
                .view(cx.origin(), self.worktree.as_deref(), text)
        } else {
            extract::terraform::ModuleView::default()
        };
        let extracted = match extract::extract_as(format, path, text, self.anywhere, &module) {
            Ok(extracted) => extracted,
            Err(err) => {
                cx.unparsed(format!("{}: {err}", cx.origin().display()));
                let at = err.at().min(cx.bytes().len());
                out.push(match &err {
                    // A budget (nesting, aliases) stopped a reading that may hold any grant.
                    extract::ExtractError::Budget { message, .. } => hidden(cx, at, message),
                    // A form keyrot does not read may declare any grant: a way around the gate
                    // unless it counts as the worst it could hold.
                    extract::ExtractError::Unread { .. } => unanalysed_at(
                        cx,
                        at,
                        checks::HIDDEN_SEVERITY,
                        format!("{err}; it may grant anything, so it counts as high"),
                    ),
                    _ => unanalysed(cx, at, &err.to_string()),
                });
                return;
            }
        };
        if extracted.nested > 0 {
            cx.nested_policies(extracted.nested);
        }
        for (at, why) in &extracted.broken {
            let at = (*at).min(cx.bytes().len());
            let line = cx.location(at, at).line;
            cx.unparsed(format!("{}:{line}: {why}", cx.origin().display()));
            out.push(if extract::stopped_by_budget(why) {
                hidden(cx, at, why)
            } else {
                unanalysed(cx, at, why)
            });
        }
        for doc in &extracted.docs {
            for (start, _, why) in &doc.unanalysed {
                if why == model::SUPPLIED {
                    let line = cx.location(*start, *start).line;
                    cx.note(format!(
                        "{}:{line}: {}: {why}; judge it where its values are known (`keyrot scan` on `terraform show -json` output)",
                        cx.origin().display(),
                        doc.context
                    ));
                }
            }
        }
        if extracted.docs.is_empty() && extracted.facts.is_empty() {
            return;
        }
        let mut sources = PlanSources::new(cx.origin(), &extracted.plan_modules);
        let today = match &self.today {
            Some(day) => std::borrow::Cow::Borrowed(day.as_str()),
            None => std::borrow::Cow::Owned(crate::time::day(crate::time::now())),
        };
        out.extend(judge(&extracted, &today, |hit| {
            sources.relocate(&hit).unwrap_or_else(|| finding(cx, hit))
        }));
    }
}

/// Runs the checks on what was extracted and makes each hit a finding with `place`: one
/// finding per check and place.
fn judge(
    extracted: &extract::Extracted,
    today: &str,
    place: impl FnMut(checks::Hit) -> Finding,
) -> Vec<Finding> {
    let mut found: Vec<Finding> = checks::run(extracted, today)
        .hits
        .into_iter()
        .map(place)
        .collect();
    found.sort_by(|a, b| (a.location.start, &a.rule_id).cmp(&(b.location.start, &b.rule_id)));
    found.dedup_by(|a, b| a.location.start == b.location.start && a.rule_id == b.rule_id);
    found
}

#[cfg(feature = "aws")]
/// Findings of documents already extracted from `cx`'s text (a live account's documents laid
/// out one after another by `audit`): the same checks, messages and identities as IaC, and a
/// `policy.unanalysed` finding for each part that could not be read. Conditions are dated
/// at `today` (`YYYY-MM-DD`).
pub fn judge_extracted(
    cx: &BlobContext,
    extracted: &extract::Extracted,
    today: &str,
) -> Vec<Finding> {
    let mut found: Vec<Finding> = extracted
        .broken
        .iter()
        .map(|(at, why)| unanalysed(cx, (*at).min(cx.bytes().len()), why))
        .collect();
    found.extend(judge(extracted, today, |hit| finding(cx, hit)));
    found
}

/// The `.tf` files a Terraform plan was made from, when they are on disk beside it: a plan's
/// finding is reported at the `resource` block that produced it, with the plan named.
struct PlanSources<'a> {
    /// The plan's folder on disk and relative to the report base.
    base: Option<(PathBuf, String)>,
    plan: String,
    modules: &'a [(String, String)],
    /// `.tf` files read so far, by folder relative to the plan's.
    read: HashMap<String, Vec<(String, String)>>,
}

impl<'a> PlanSources<'a> {
    fn new(origin: &Origin, modules: &'a [(String, String)]) -> Self {
        let base = match origin {
            Origin::File { path, rel } if !modules.is_empty() => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let rel_dir = rel.rsplit_once('/').map_or("", |(d, _)| d).to_string();
                Some((dir, rel_dir))
            }
            _ => None,
        };
        PlanSources {
            base,
            plan: origin.rel().to_string(),
            modules,
            read: HashMap::new(),
        }
    }

    /// The hit as a finding at its resource's `.tf` block, or `None` when that block is not
    /// on disk.
    fn relocate(&mut self, hit: &checks::Hit) -> Option<Finding> {
        let (dir, rel_dir) = self.base.as_ref()?;
        let address = hit.context.split_whitespace().next().unwrap_or("");
        let (module, rtype, name) = extract::plan::split_address(address)?;
        let (_, module_dir) = self.modules.iter().find(|(a, _)| *a == module)?;
        let files = self
            .read
            .entry(module_dir.clone())
            .or_insert_with(|| module_texts(&dir.join(module_dir)));
        let header = format!("\"{rtype}\" \"{name}\"");
        for (file, text) in files.iter() {
            let found = text.match_indices(&header).find(|(at, _)| {
                let before = text[..*at].trim_end();
                before.ends_with("resource") || before.ends_with("data")
            });
            let Some((at, _)) = found else { continue };
            // From the `resource` keyword to the labels.
            let keyword_end = text[..at].trim_end().len();
            let start = text[..keyword_end]
                .rfind(char::is_whitespace)
                .map_or(0, |w| w + 1);
            let rel = [rel_dir.as_str(), module_dir.as_str(), file.as_str()]
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/");
            let blob = crate::source::Blob {
                origin: Origin::File {
                    path: dir.join(module_dir).join(file),
                    rel,
                },
                bytes: std::borrow::Cow::Borrowed(text.as_bytes()),
            };
            let tf = BlobContext::new(&blob);
            let end = at + header.len();
            let hit = checks::Hit {
                check: hit.check,
                context: hit.context.clone(),
                severity: hit.severity,
                start,
                end,
                message: format!("{} (as planned in {})", hit.message, self.plan),
                related: Vec::new(),
                remedy: hit.remedy.clone(),
                cleared_by: hit.cleared_by.clone(),
            };
            return Some(finding(&tf, hit));
        }
        None
    }
}

/// A `policy.unanalysed` finding for a file (or the part of it at `at`) that did not parse.
fn unanalysed(cx: &BlobContext, at: usize, why: &str) -> Finding {
    unanalysed_at(cx, at, checks::unanalysed().severity, why.to_string())
}

/// A `policy.unanalysed` finding where a budget on untrusted input stopped the reading of IaC
/// that may grant: judged as the worst it could hide (`Action: "*"` on `"*"`), high at least,
/// so that padding a document past a budget cannot pass `--fail-on high`.
pub(crate) fn hidden(cx: &BlobContext, at: usize, why: &str) -> Finding {
    unanalysed_at(
        cx,
        at,
        checks::HIDDEN_SEVERITY,
        format!(
            "{why}; what the budget kept from being read may grant anything, so it counts as high"
        ),
    )
}

fn unanalysed_at(cx: &BlobContext, at: usize, severity: Severity, why: String) -> Finding {
    let check = checks::unanalysed();
    finding(
        cx,
        checks::Hit {
            check,
            context: cx.origin().rel().to_string(),
            severity,
            start: at,
            end: at,
            message: format!("{}: not analysed: {why}", cx.origin().rel()),
            related: Vec::new(),
            remedy: None,
            cleared_by: None,
        },
    )
}

fn finding(cx: &BlobContext, hit: checks::Hit) -> Finding {
    let bytes = cx.bytes();
    let end = hit.end.clamp(hit.start, bytes.len());
    let start = hit.start.min(end);
    let (line_start, line_end) = cx.line_around(start);
    let to = line_end.min(line_start + 200);
    let line = (line_start, line_end.min(to));
    let element = &bytes[start..end];
    // Identity: the check, the document it is in, and the element at fault with its
    // whitespace collapsed; not the message, so rewording a message or refreshing the action
    // database keeps every baselined or dismissed finding (v2). v1 hashed the message.
    let canonical: Vec<u8> = String::from_utf8_lossy(element)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .into_bytes();
    let digest = value_digest(&[
        b"v2",
        hit.check.id.as_bytes(),
        hit.context.as_bytes(),
        &canonical,
    ]);
    let legacy = value_digest(&[hit.check.id.as_bytes(), hit.message.as_bytes(), element]);
    Finding {
        rule_id: hit.check.id.to_string(),
        title: hit.check.title.to_string(),
        severity: hit.severity,
        fingerprint: fingerprint(hit.check.id, cx.origin().rel(), &digest),
        origin: cx.origin().clone(),
        location: cx.location(start, end),
        related: hit
            .related
            .iter()
            .map(|(start, end, role)| {
                let end = (*end).clamp(*start, bytes.len());
                let start = (*start).min(end);
                Related {
                    role: role.clone(),
                    location: cx.location(start, end),
                    redacted: cx.masked(start, end),
                }
            })
            .collect(),
        excerpt: cx.excerpt(line_start, to, line),
        redacted: cx.masked(start, end),
        value_digest: digest,
        legacy_digest: Some(legacy),
        facts: Facts::default(),
        message: hit.message,
        remedy: Remedy {
            summary: hit
                .remedy
                .clone()
                .unwrap_or_else(|| hit.check.remediation.to_string()),
            steps: vec![Step::new(
                "Generate a least-privilege policy from the workload's actual use with IAM Access Analyzer.",
                Some("aws accessanalyzer start-policy-generation --policy-generation-details principalArn=ROLE_ARN --cloud-trail-details file://trail.json".into()),
            )],
        },
        present_at_head: None,
        suppression: hit.cleared_by.map(|why| Suppression {
            kind: crate::finding::SuppressionKind::InSource,
            status: crate::finding::SuppressionStatus::Accepted,
            by: crate::finding::SuppressedBy::Condition,
            justification: Some(why),
        }),
    }
}

/// Every policy check as a rule, so that `keyrot rules`, `explain` and SARIF document them.
pub fn rules() -> Vec<RuleMeta> {
    checks::ALL
        .iter()
        .map(|c| RuleMeta {
            id: c.id.to_string(),
            title: c.title.to_string(),
            severity: c.severity,
            family: Family::Policy,
            cwe: Some(c.cwe),
            precision: "high".into(),
            description: first_sentence(c.rationale).to_string(),
            why: c.rationale.to_string(),
            remediation: c.remediation.to_string(),
            references: vec![
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html".into(),
            ],
            note: c.note.map(crate::rule::Note::Page),
            examples: c.fires.iter().map(|(_, text)| text.to_string()).collect(),
            negative_examples: c.quiet.iter().map(|(_, text)| text.to_string()).collect(),
        })
        .collect()
}

fn first_sentence(text: &str) -> &str {
    text.find(". ").map_or(text, |i| &text[..=i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_file_is_parsed_once_unless_its_text_changed() {
        let dir = tempfile::tempdir().unwrap();
        let doc = "data \"aws_iam_policy_document\" \"trust\" {\n  statement {\n    actions = [\"sts:AssumeRole\"]\n  }\n}\n";
        let role = "resource \"aws_iam_role\" \"r\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n";
        std::fs::write(dir.path().join("a.tf"), doc).unwrap();
        std::fs::write(dir.path().join("b.tf"), role).unwrap();
        let origin = |name: &str| Origin::File {
            path: dir.path().join(name),
            rel: name.to_string(),
        };
        let modules = Modules::default();
        // The module's reading of a.tf is handed to a.tf's own scan, once.
        let view = modules.view(&origin("a.tf"), None, doc);
        assert!(view.own.borrow().is_some());
        assert!(
            view.uses.contains_key("trust"),
            "b.tf's use of the document is seen"
        );
        assert!(modules
            .view(&origin("a.tf"), None, doc)
            .own
            .borrow()
            .is_none());
        // b.tf as scanned is not what the module read (it changed in between): read again.
        let view = modules.view(&origin("b.tf"), None, "# changed\n");
        assert!(view.own.borrow().is_none());
        assert!(view.defined.contains("trust"));
        assert_eq!(modules.held.load(Ordering::Relaxed), 0, "nothing is held");
    }
}
