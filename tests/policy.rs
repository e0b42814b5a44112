//! Weak IAM policies in Terraform, CloudFormation, Serverless and policy JSON.

use crate::util::{keyrot, keyrot_in, rows, Dir};

/// Rule ids found in one file of a temp tree, sorted.
fn rules_in(name: &str, content: &str) -> Vec<String> {
    let dir = Dir::new();
    dir.write(name, content);
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut ids: Vec<String> = rows(&run.json()).into_iter().map(|r| r.2).collect();
    ids.sort();
    ids
}

#[test]
fn iac_fixtures_give_exactly_the_expected_findings() {
    let run = keyrot(&["scan", "fixtures/iac", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got: Vec<(String, u64, String, String)> = rows(&run.json());
    let want: Vec<(&str, u64, &str, &str)> = vec![
        (
            "fixtures/iac/cloudformation/weak.yaml",
            12,
            "policy.full-admin",
            "critical",
        ),
        (
            "fixtures/iac/cloudformation/weak.yaml",
            21,
            "policy.trust-any-principal",
            "critical",
        ),
        // iam:PassRole with lambda:CreateFunction but nothing to invoke or trigger the new
        // function: one step short of Rhino's methods 15 and 16.
        (
            "fixtures/iac/cloudformation/weak.yaml",
            30,
            "policy.privilege-escalation",
            "high",
        ),
        // The PassRole pair on `*` is judged once, as the escalation it completes.
        (
            "fixtures/iac/cloudformation/weak.yaml",
            37,
            "policy.long-lived-key",
            "medium",
        ),
        (
            "fixtures/iac/cloudformation/weak.yaml",
            48,
            "policy.resource-public",
            "high",
        ),
        (
            "fixtures/iac/cloudformation/weak.yaml",
            60,
            "policy.service-principal-unscoped",
            "medium",
        ),
        (
            "fixtures/iac/cloudformation/weak.yaml",
            69,
            "policy.managed-admin",
            "high",
        ),
        (
            "fixtures/iac/cloudformation/weak.yaml",
            72,
            "policy.credentials-exposure",
            "high",
        ),
        (
            "fixtures/iac/policies/ops-policy.json",
            7,
            "policy.action-wildcard",
            "high",
        ),
        (
            "fixtures/iac/policies/ops-policy.json",
            8,
            "policy.allow-not",
            "medium",
        ),
        (
            "fixtures/iac/policies/ops-policy.json",
            13,
            "policy.credentials-exposure",
            "medium",
        ),
        (
            "fixtures/iac/policies/ops-policy.json",
            13,
            "policy.data-exfiltration",
            "low",
        ),
        (
            "fixtures/iac/policies/ops-policy.json",
            18,
            "policy.malformed",
            "low",
        ),
        (
            "fixtures/iac/serverless/serverless.yml",
            9,
            "policy.service-wildcard",
            "high",
        ),
        (
            "fixtures/iac/serverless/serverless.yml",
            9,
            "policy.data-exfiltration",
            "medium",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            10,
            "policy.full-admin",
            "critical",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            22,
            "policy.trust-any-principal",
            "critical",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            40,
            "policy.privilege-escalation",
            "critical",
        ),
        // s3:* on one bucket and its objects: it can still rewrite that bucket's policy.
        (
            "fixtures/iac/terraform/weak.tf",
            49,
            "policy.service-wildcard",
            "medium",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            53,
            "policy.credentials-exposure",
            "high",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            65,
            "policy.user-policy",
            "low",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            73,
            "policy.allow-not",
            "high",
        ),
        // `NotAction: iam:*` still grants ssm:SendCommand, lambda:UpdateFunctionCode, ...
        (
            "fixtures/iac/terraform/weak.tf",
            73,
            "policy.privilege-escalation",
            "high",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            82,
            "policy.long-lived-key",
            "medium",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            87,
            "policy.managed-admin",
            "high",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            96,
            "policy.resource-public",
            "high",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            107,
            "policy.lambda-public",
            "high",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            117,
            "policy.trust-github-oidc",
            "critical",
        ),
        (
            "fixtures/iac/terraform/weak.tf",
            127,
            "policy.malformed",
            "low",
        ),
    ];
    let want: Vec<(String, u64, String, String)> = want
        .into_iter()
        .map(|(p, l, r, s)| (p.into(), l, r.into(), s.into()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn least_privilege_yields_nothing_in_any_format() {
    for path in [
        "fixtures/iac/terraform/least-privilege.tf",
        "fixtures/iac/cloudformation/least-privilege.json",
        "fixtures/iac/serverless/scoped/serverless.yml",
        "fixtures/iac/policies/readonly-scoped.json",
    ] {
        let run = keyrot(&["scan", path, "--format", "json"]);
        assert_eq!(run.code, 0, "{path}: {}", run.stdout);
    }
}

#[test]
fn every_inline_policy_of_a_role_is_read() {
    // checkov misses inline_policy blocks; trivy reads only the first.
    let tf = r#"resource "aws_iam_role" "r" {
  assume_role_policy = "{}"
  inline_policy {
    name   = "a"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::b/*" }] })
  }
  inline_policy {
    name   = "b"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
  }
}
"#;
    assert_eq!(rules_in("main.tf", tf), vec!["policy.full-admin"]);
}

#[test]
fn service_wildcards_expand_to_the_checks_of_their_actions() {
    // `iam:*` triggers what `iam:PassRole` and `iam:CreateAccessKey` trigger.
    let json = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:*", "ec2:Run*"], "Resource": "*"}]}"#;
    assert_eq!(
        rules_in("policy.json", json),
        vec![
            "policy.credentials-exposure",
            "policy.privilege-escalation",
            "policy.service-wildcard"
        ]
    );
}

#[test]
fn unscopable_actions_on_star_do_not_fire_and_unknown_values_are_not_star() {
    let json = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "ecr:GetAuthorizationToken", "sts:GetCallerIdentity"], "Resource": "*"}]}"#;
    assert!(rules_in("p.json", json).is_empty());
    let cfn = "Resources:\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: !Ref Actions\n            Resource: !Sub 'arn:aws:s3:::${Bucket}/*'\n";
    assert!(rules_in("template.yaml", cfn).is_empty());
}

#[test]
fn conditions_lower_or_clear_and_say_which() {
    let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}"#;
    assert!(
        rules_in("trust.json", trust).is_empty(),
        "an org condition clears an open trust policy"
    );
    let admin = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}"#;
    let dir = Dir::new();
    dir.write("admin.json", admin);
    let report = keyrot_in(dir.path(), &["scan", "--format", "json"]).json();
    let f = &report["findings"][0];
    assert_eq!(
        (f["rule_id"].as_str(), f["severity"].as_str()),
        (Some("policy.full-admin"), Some("high"))
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("aws:MultiFactorAuthPresent"),
        "{f:#}"
    );
}

#[test]
fn trust_and_resource_policies_across_formats() {
    let tf_root = r#"resource "aws_iam_role" "x" {
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::111122223333:root" } }] })
}
"#;
    assert_eq!(
        rules_in("main.tf", tf_root),
        vec!["policy.trust-account-root"]
    );
    let cfn_queue = r#"{"Resources": {"Q": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": [], "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:ReceiveMessage", "Resource": "arn:aws:sqs:eu-west-1:111122223333:q"}]}}}}}"#;
    assert_eq!(
        rules_in("stack.template.json", cfn_queue),
        vec!["policy.resource-public"]
    );
    let sls = "service: s\nprovider:\n  iamRoleStatements:\n    - Effect: Allow\n      NotAction: iam:*\n      Resource: '*'\n";
    assert_eq!(
        rules_in("serverless.yml", sls),
        vec!["policy.allow-not", "policy.privilege-escalation"]
    );
}

#[test]
fn broken_iac_is_one_line_and_the_scan_goes_on() {
    let dir = Dir::new();
    dir.write(
        "broken.template.json",
        "{\"Resources\": {\"R\": {\"Type\": \"AWS::IAM::Role\"",
    );
    dir.write("ok.py", "KEY = 'AKIAYGTTU3F4ZNIBPSU4'\n");
    let run = keyrot_in(dir.path(), &["scan", "--format", "json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("broken.template.json: not valid JSON"),
        "{}",
        run.stderr
    );
    // Never silent: the file is a low finding where it breaks, counted apart from unreadable.
    let ids: Vec<String> = rows(&run.json()).into_iter().map(|r| r.2).collect();
    assert_eq!(
        ids,
        vec!["policy.unanalysed", "aws.access-key-id"],
        "{ids:?}"
    );
    assert!(
        run.stderr.contains("1 IaC file could not be parsed") && !run.stderr.contains("unreadable"),
        "{}",
        run.stderr
    );
}

#[test]
fn terraform_with_a_syntax_error_is_analysed_where_it_parses_and_says_where_not() {
    let tf = "resource \"aws_iam_policy\" \"admin\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }] })\n}\n\nresource \"aws_iam_role\" \"broken\" {\n  name = \n";
    let dir = Dir::new();
    dir.write("main.tf", tf);
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    let found: Vec<(String, u64)> = rows(&run.json()).into_iter().map(|r| (r.2, r.1)).collect();
    assert!(
        found.contains(&("policy.full-admin".to_string(), 2)),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(id, line)| id == "policy.unanalysed" && *line >= 5),
        "{found:?}"
    );
}

#[test]
fn policies_nested_in_recorded_data_are_counted_not_reported() {
    let recorded = r#"{"responses": [{"body": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}"#;
    let dir = Dir::new();
    dir.write("tests/fixtures/recorded.json", recorded);
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    assert!(rows(&run.json()).is_empty());
    assert!(
        run.stderr.contains("1 policy document nested in JSON data"),
        "{}",
        run.stderr
    );
    let anywhere = keyrot_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--policies-anywhere",
        ],
    );
    let ids: Vec<String> = rows(&anywhere.json()).into_iter().map(|r| r.2).collect();
    assert_eq!(ids, vec!["policy.full-admin"]);
    // `aws iam get-policy-version` output carries a deployable policy: reported.
    let carried = r#"{"PolicyVersion": {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "VersionId": "v1"}}"#;
    dir.write("tests/fixtures/recorded.json", carried);
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    let ids: Vec<String> = rows(&run.json()).into_iter().map(|r| r.2).collect();
    assert_eq!(ids, vec!["policy.full-admin"]);
    // The same carrier in an SDK's recorded response (boto3's `ResponseMetadata`): data.
    let response = r#"{"UserName": "test", "PolicyName": "test", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "ResponseMetadata": {"RequestId": "5a2702d5"}}"#;
    dir.write("tests/fixtures/recorded.json", response);
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    assert!(rows(&run.json()).is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("1 policy document nested"),
        "{}",
        run.stderr
    );
}

#[test]
fn policy_findings_are_suppressed_by_rule_id_and_valid_in_sarif() {
    let dir = Dir::new();
    dir.write(
        "p.json",
        "{\"Version\": \"2012-10-17\", \"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}\n]}\n",
    );
    let doc = keyrot_in(dir.path(), &["scan", "--format", "sarif"]).json();
    crate::sarif::assert_valid_sarif(&doc);
    crate::sarif::assert_github_accepts(&doc);
    let r = &doc["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "policy.full-admin");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    let rule =
        &doc["runs"][0]["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
    assert!(rule["help"]["text"]
        .as_str()
        .unwrap()
        .contains("Access Analyzer"));
    assert!(rule["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "external/cwe/cwe-269"));
    dir.write(
        "p.json",
        "{\"Version\": \"2012-10-17\", \"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}\n]}\n",
    );
    let allowed = keyrot_in(dir.path(), &["scan"]);
    assert_eq!(allowed.code, 1, "no allow comment yet");
    dir.write(
        "p.tf",
        "resource \"aws_iam_policy\" \"p\" {\n  # keyrot:allow policy.full-admin reason=\"break-glass role\"\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }] })\n}\n",
    );
    std::fs::remove_file(dir.join("p.json")).unwrap();
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--show-suppressed"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.json()["findings"][0]["suppression"]["justification"],
        "break-glass role"
    );
}

#[test]
fn policy_text_report_snapshot() {
    let run = keyrot(&[
        "scan",
        "fixtures/iac/serverless/serverless.yml",
        "--color",
        "never",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout, @r#"
    fixtures/iac/serverless/serverless.yml
       9:19  high     policy.service-wildcard  provider.iam.role.statements: dynamodb:* allows every action of a sensitive service
              │ Action: "dynamodb:*"
              fix: Replace the wildcard with the actions used (for example `s3:GetObject` and `s3:PutObject` instead of `s3:*`), scoped to the resources used.
       9:19  medium   policy.data-exfiltration  provider.iam.role.statements: dynamodb:Scan, dynamodb:Query, dynamodb:GetItem on every resource
              │ Action: "dynamodb:*"
              fix: Scope reads to the buckets, tables and keys the workload owns (`arn:aws:s3:::my-bucket/*`), and add `aws:ResourceOrgID` or VPC endpoint conditions for shared data.
    "#);
}

/// Findings of one file, as (rule, severity, number of related places).
fn findings_in(name: &str, content: &str) -> Vec<(String, String, usize)> {
    let dir = Dir::new();
    dir.write(name, content);
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut out: Vec<(String, String, usize)> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["related"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn one_finding_per_problem() {
    let twice = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    assert_eq!(
        findings_in("admin.json", twice),
        vec![("policy.full-admin".into(), "critical".into(), 1)],
        "a repeated statement is one finding, the repeat its related place"
    );
    let keys = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}]}"#;
    assert_eq!(
        findings_in("keys.json", keys),
        vec![("policy.privilege-escalation".into(), "high".into(), 0)]
    );
    let secrets = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}"#;
    assert_eq!(
        findings_in("secret-policy.json", secrets),
        vec![("policy.resource-public".into(), "high".into(), 0)]
    );
    let unversioned = r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#;
    assert!(findings_in("plain.json", unversioned).is_empty());
}

#[test]
fn escalation_across_policies_of_one_role_names_both_and_deny_elsewhere_clears() {
    let tf = r#"resource "aws_iam_policy" "run" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["ec2:RunInstances"], Resource = "*" }] })
}
resource "aws_iam_policy" "pass" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }] })
}
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}
resource "aws_iam_role_policy_attachment" "run" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.run.arn
}
resource "aws_iam_role_policy_attachment" "pass" {
  role       = "app"
  policy_arn = aws_iam_policy.pass.arn
}
"#;
    let found = findings_in("main.tf", tf);
    assert!(
        found.contains(&("policy.privilege-escalation".into(), "critical".into(), 1)),
        "{found:?}"
    );
    // The same role, and a third policy that denies passing roles: nothing escalates.
    let denied = format!(
        "{tf}resource \"aws_iam_role_policy\" \"no-pass\" {{\n  role   = aws_iam_role.app.id\n  policy = jsonencode({{ Version = \"2012-10-17\", Statement = [{{ Effect = \"Deny\", Action = \"iam:PassRole\", Resource = \"*\" }}] }})\n}}\n"
    );
    let found = findings_in("main.tf", &denied);
    assert!(
        !found.iter().any(|f| f.0 == "policy.privilege-escalation"),
        "{found:?}"
    );
}

#[test]
fn a_condition_that_clears_a_finding_keeps_it_suppressed_and_names_the_condition() {
    let dir = Dir::new();
    dir.write(
        "trust.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}"#,
    );
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--show-suppressed"],
    );
    assert_eq!(
        run.code, 0,
        "a cleared finding never fails a run: {}",
        run.stderr
    );
    let report = run.json();
    let f = &report["findings"][0];
    assert_eq!(f["rule_id"], "policy.trust-any-principal");
    assert_eq!(f["suppression"]["by"], "condition");
    assert_eq!(
        f["suppression"]["justification"],
        "cleared by condition StringEquals aws:PrincipalOrgID"
    );
    assert!(
        run.stderr.contains("suppressed 1 (1 condition)"),
        "{}",
        run.stderr
    );
}

/// A plan as `terraform show -json` writes it (format 1.2), written by hand to the documented
/// format: no `terraform` binary can be installed from the registries this project reaches.
const PLAN: &str = r#"{
  "format_version": "1.2",
  "terraform_version": "1.9.0",
  "planned_values": {
    "root_module": {
      "resources": [
        {
          "address": "aws_iam_role.app",
          "mode": "managed",
          "type": "aws_iam_role",
          "name": "app",
          "values": {
            "name": "app",
            "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:AssumeRole\"}]}",
            "inline_policy": [{"name": "pass", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\",\"Resource\":\"*\"}]}"}]
          }
        }
      ],
      "child_modules": [
        {
          "address": "module.compute",
          "resources": [
            {
              "address": "module.compute.aws_iam_role_policy.run[\"web\"]",
              "mode": "managed",
              "type": "aws_iam_role_policy",
              "name": "run",
              "index": "web",
              "values": {
                "role": "app",
                "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ec2:RunInstances\",\"Resource\":\"*\"}]}"
              }
            },
            {
              "address": "module.compute.aws_s3_bucket_policy.site",
              "mode": "managed",
              "type": "aws_s3_bucket_policy",
              "name": "site",
              "values": {"bucket": "site", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ok\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::site/*\"}]}"}
            }
          ]
        }
      ]
    }
  },
  "resource_changes": [],
  "configuration": {"root_module": {}}
}"#;

#[test]
fn terraform_plans_are_read_with_everything_resolved() {
    let dir = Dir::new();
    dir.write("plan.json", PLAN);
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    let got: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap(),
                f["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        got.iter().any(|(id, m)| *id == "policy.trust-any-principal" && m.starts_with("aws_iam_role.app")),
        "{got:#?}"
    );
    // PassRole in the root module's inline policy, RunInstances in a module's role policy of
    // the same role: one path across two documents.
    assert!(
        got.iter()
            .any(|(id, m)| *id == "policy.privilege-escalation"
                && m.contains("aws_iam_role \"app\"")
                && m.contains("iam:PassRole with ec2:RunInstances")),
        "{got:#?}"
    );
    assert!(
        !got.iter().any(|(id, _)| *id == "policy.resource-public"),
        "{got:#?}"
    );
}

/// (file, line, rule, message) of every finding of a scan of `dir`.
fn located(dir: &Dir) -> Vec<(String, u64, String, String)> {
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("./")
                    .to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const MODULE_DATA: &str = r#"data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
"#;

#[test]
fn data_documents_are_resolved_across_the_files_of_a_module() {
    let dir = Dir::new();
    dir.write("mod/data.tf", MODULE_DATA);
    dir.write(
        "mod/main.tf",
        "resource \"aws_iam_role\" \"app\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n\nresource \"aws_iam_policy\" \"ghost\" {\n  policy = data.aws_iam_policy_document.nowhere.json\n}\n\n# An instance of a counted data document is that document.\nresource \"aws_iam_role\" \"counted\" {\n  count              = 1\n  assume_role_policy = data.aws_iam_policy_document.trust[0].json\n}\n",
    );
    // The same data document in a folder of its own is another module: nobody uses it there.
    dir.write("other/data.tf", MODULE_DATA);
    let found = located(&dir);
    // Judged where it is defined, as the trust policy its user in main.tf makes of it.
    assert!(
        found.iter().any(|(p, l, r, m)| p == "mod/data.tf"
            && *l == 6
            && r == "policy.trust-any-principal"
            && m.starts_with("aws_iam_role.app (assume_role_policy) in main.tf")),
        "{found:#?}"
    );
    // A reference no file of the module defines is said, at the reference.
    assert!(
        found.iter().any(|(p, l, r, m)| p == "mod/main.tf"
            && *l == 6
            && r == "policy.unanalysed"
            && m.contains("data.aws_iam_policy_document.nowhere")),
        "{found:#?}"
    );
    // Not said for the reference that another file defines.
    assert!(
        !found.iter().any(|(p, _, r, m)| p == "mod/main.tf"
            && r == "policy.unanalysed"
            && m.contains(".trust")),
        "{found:#?}"
    );
    // The lone copy is still judged, as what it looks like, under its own name.
    assert!(
        found.iter().any(|(p, _, r, m)| p == "other/data.tf"
            && r == "policy.trust-any-principal"
            && m.starts_with("data.aws_iam_policy_document.trust")),
        "{found:#?}"
    );
}

/// `terraform show -json` of a root module calling `./modules/iam`, with a policy built from
/// a variable: only the plan knows its statements.
const PLAN_WITH_MODULES: &str = r#"{
  "format_version": "1.2",
  "terraform_version": "1.9.8",
  "planned_values": {
    "root_module": {
      "resources": [],
      "child_modules": [
        {
          "address": "module.iam",
          "resources": [
            {
              "address": "module.iam.aws_iam_policy.deploy[\"ci\"]",
              "mode": "managed",
              "type": "aws_iam_policy",
              "name": "deploy",
              "index": "ci",
              "values": {"name": "deploy-ci", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:*\",\"Resource\":\"*\"}]}"}
            }
          ]
        }
      ]
    }
  },
  "resource_changes": [],
  "configuration": {
    "root_module": {
      "module_calls": {
        "iam": {
          "source": "./modules/iam",
          "module": {
            "resources": [
              {"address": "aws_iam_policy.deploy", "mode": "managed", "type": "aws_iam_policy", "name": "deploy"}
            ]
          }
        }
      }
    }
  }
}"#;

#[test]
fn plan_findings_are_reported_at_the_resource_block_that_produced_them() {
    let dir = Dir::new();
    dir.write("infra/plan.json", PLAN_WITH_MODULES);
    dir.write(
        "infra/modules/iam/main.tf",
        "variable \"actions\" {}\n\nresource \"aws_iam_policy\" \"deploy\" {\n  for_each = toset([\"ci\"])\n  name     = \"deploy-${each.key}\"\n  policy   = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = var.actions, Resource = \"*\" }] })\n}\n",
    );
    let found = located(&dir);
    assert!(
        found
            .iter()
            .any(|(p, l, r, m)| p == "infra/modules/iam/main.tf"
                && *l == 3
                && r == "policy.service-wildcard"
                && m.contains("as planned in infra/plan.json")),
        "{found:#?}"
    );
    assert!(
        !found
            .iter()
            .any(|(p, _, r, _)| p == "infra/plan.json" && r == "policy.service-wildcard"),
        "{found:#?}"
    );
    // Without the module's source on disk, the finding stays at the plan, named by address.
    let alone = Dir::new();
    alone.write("plan.json", PLAN_WITH_MODULES);
    let found = located(&alone);
    assert!(
        found.iter().any(|(p, _, r, m)| p == "plan.json"
            && r == "policy.service-wildcard"
            && m.starts_with("module.iam.aws_iam_policy.deploy[\"ci\"]")),
        "{found:#?}"
    );
}

#[test]
fn opentofu_is_read_and_forms_not_read_are_named_at_the_worst_they_could_hold() {
    let admin = r#"resource "aws_iam_role_policy" "p" {
  role   = "r"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}
"#;
    let full = vec![("policy.full-admin".to_string(), "critical".to_string(), 0)];
    assert_eq!(findings_in("main.tofu", admin), full);
    assert_eq!(findings_in("main.tf", admin), full);
    let unread = vec![("policy.unanalysed".to_string(), "high".to_string(), 0)];
    let tf_json = r#"{"resource": {"aws_iam_role_policy": {"p": {"role": "r", "policy": "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}"}}}}"#;
    assert_eq!(findings_in("main.tf.json", tf_json), unread);
    assert_eq!(findings_in("main.tofu.json", tf_json), unread);
    let pulumi = "name: app\nruntime: yaml\nresources:\n  p:\n    type: aws:iam:RolePolicy\n    properties:\n      role: r\n      policy:\n        fn::toJSON:\n          Statement: [{Effect: Allow, Action: '*', Resource: '*'}]\n";
    assert_eq!(findings_in("Pulumi.yaml", pulumi), unread);
    // The same forms with no IAM in them are not named.
    assert_eq!(
        findings_in("vars.tf.json", r#"{"variable": {"region": {}}}"#),
        []
    );
    assert_eq!(
        findings_in("Pulumi.dev.yaml", "config:\n  aws:region: eu-west-1\n"),
        []
    );
}

#[test]
fn assuming_any_role_is_judged_by_the_roles_it_reaches() {
    let iac = |trusted: &str| {
        format!(
            r#"resource "aws_iam_user" "chris" {{
  name = "chris"
}}
resource "aws_iam_policy" "chris" {{
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = ["sts:AssumeRole", "iam:List*"], Resource = "*" }}] }})
}}
resource "aws_iam_user_policy_attachment" "chris" {{
  user       = aws_iam_user.chris.name
  policy_arn = aws_iam_policy.chris.arn
}}
resource "aws_iam_role" "manager" {{
  name               = "manager"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {trusted} }}] }})
}}
resource "aws_iam_policy" "manager" {{
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = ["lambda:CreateFunction", "lambda:InvokeFunction", "iam:PassRole"], Resource = "*" }}] }})
}}
resource "aws_iam_role_policy_attachment" "manager" {{
  role       = aws_iam_role.manager.name
  policy_arn = aws_iam_policy.manager.arn
}}
"#
        )
    };
    let rules = |trusted: &str| -> Vec<(String, String)> {
        findings_in("iam.tf", &iac(trusted))
            .into_iter()
            .map(|(rule, severity, _)| (rule, severity))
            .collect()
    };
    let chained = rules("{ AWS = aws_iam_user.chris.arn }");
    assert_eq!(
        chained
            .iter()
            .filter(|(r, s)| r == "policy.privilege-escalation" && s == "critical")
            .count(),
        2,
        "{chained:?}"
    );
    assert!(
        !chained.iter().any(|(r, _)| r == "policy.resource-wildcard"),
        "{chained:?}"
    );
    // The role trusts only Lambda: assuming it is not open to chris, the grant stays generic.
    let service = rules("{ Service = \"lambda.amazonaws.com\" }");
    assert_eq!(
        service
            .iter()
            .filter(|(r, _)| r == "policy.privilege-escalation")
            .count(),
        1,
        "{service:?}"
    );
    assert!(
        service.contains(&("policy.resource-wildcard".to_string(), "medium".to_string())),
        "{service:?}"
    );
}

/// A grant bounded by `aws:CurrentTime` is judged on the day `--as-of` names, not the
/// clock's: before its end it is an escalation path, after it the statement never holds. So a
/// scan of old IaC is reproducible.
#[test]
fn time_bound_grants_are_judged_on_the_as_of_day() {
    let dir = Dir::new();
    dir.write(
        "policy.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2040-01-01T00:00:00Z"}}}]}"#,
    );
    let rules_on = |day: &str| -> Vec<String> {
        let path = dir.join("policy.json");
        let report = keyrot(&[
            "scan",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--as-of",
            day,
        ])
        .json();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        rules_on("2039-12-31").contains(&"policy.privilege-escalation".to_string()),
        "{:?}",
        rules_on("2039-12-31")
    );
    assert_eq!(rules_on("2040-01-02"), Vec::<String>::new());
}
