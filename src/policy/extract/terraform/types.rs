//! The Terraform resource types keyrot reads, as data: what each one is (a managed policy, an
//! inline policy on a principal, an attachment, a membership, ...) decides what is read from
//! it. A new type of a known role is a row here; resource types whose argument holds a
//! resource policy are rows of `patterns/terraform-resource-policies.tsv`.

/// What a resource type is to policy analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reads {
    /// A customer-managed policy (`policy`), attached elsewhere by its ARN.
    ManagedPolicy,
    /// A policy inline on one principal: the argument naming it and the principal's type;
    /// `user_fact`: a policy on a user (a finding of its own).
    InlinePolicy {
        on: &'static str,
        principal: &'static str,
        user_fact: bool,
    },
    /// A role: its trust policy, inline policies and managed policy ARNs.
    IamRole,
    /// A managed policy attached to users, roles or groups (`policy_arn`).
    Attachment { user_fact: bool },
    /// One user in several groups.
    UserGroups,
    /// Several users in one group.
    GroupUsers,
    /// A long-lived access key.
    AccessKey,
    /// Who may invoke a Lambda function.
    LambdaPermission,
    /// A resource policy in this argument.
    ResourcePolicy { argument: &'static str },
}

/// The table.
const TYPES: &[(&str, Reads)] = &[
    ("aws_iam_policy", Reads::ManagedPolicy),
    (
        "aws_iam_role_policy",
        Reads::InlinePolicy {
            on: "role",
            principal: "aws_iam_role",
            user_fact: false,
        },
    ),
    (
        "aws_iam_group_policy",
        Reads::InlinePolicy {
            on: "group",
            principal: "aws_iam_group",
            user_fact: false,
        },
    ),
    (
        "aws_iam_user_policy",
        Reads::InlinePolicy {
            on: "user",
            principal: "aws_iam_user",
            user_fact: true,
        },
    ),
    ("aws_iam_role", Reads::IamRole),
    (
        "aws_iam_user_policy_attachment",
        Reads::Attachment { user_fact: true },
    ),
    (
        "aws_iam_role_policy_attachment",
        Reads::Attachment { user_fact: false },
    ),
    (
        "aws_iam_group_policy_attachment",
        Reads::Attachment { user_fact: false },
    ),
    (
        "aws_iam_policy_attachment",
        Reads::Attachment { user_fact: false },
    ),
    ("aws_iam_user_group_membership", Reads::UserGroups),
    ("aws_iam_group_membership", Reads::GroupUsers),
    ("aws_iam_access_key", Reads::AccessKey),
    ("aws_lambda_permission", Reads::LambdaPermission),
];

/// What `rtype` is, if keyrot reads it.
pub(super) fn role(rtype: &str) -> Option<Reads> {
    TYPES
        .iter()
        .find(|(t, _)| *t == rtype)
        .map(|(_, role)| *role)
        .or_else(|| {
            resource_policy_argument(rtype).map(|argument| Reads::ResourcePolicy { argument })
        })
}

/// Resource types whose argument holds a resource policy (`patterns/terraform-resource-policies.tsv`).
pub(in crate::policy::extract) fn resource_policy_argument(rtype: &str) -> Option<&'static str> {
    const DATA: &str = include_str!("../../../../patterns/terraform-resource-policies.tsv");
    DATA.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .find(|(t, _)| *t == rtype)
        .map(|(_, argument)| argument.trim())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_type_is_one_role_and_the_table_has_no_resource_policy_twice() {
        let mut seen = std::collections::HashSet::new();
        for (t, _) in super::TYPES {
            assert!(seen.insert(*t), "{t} twice");
            assert!(
                super::resource_policy_argument(t).is_none(),
                "{t} is also a resource-policy row"
            );
        }
        assert_eq!(
            super::role("aws_iam_user_policy_attachment"),
            Some(super::Reads::Attachment { user_fact: true })
        );
        assert_eq!(
            super::role("aws_s3_bucket_policy"),
            Some(super::Reads::ResourcePolicy { argument: "policy" })
        );
        assert_eq!(super::role("aws_instance"), None);
    }
}
