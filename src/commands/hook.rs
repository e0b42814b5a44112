//! `keyrot install-hook`: a plain git pre-commit hook that runs `keyrot scan --staged`.

use super::{io_error, CommandError};
use crate::cli::InstallHookArgs;

/// The hook runs the keyrot that installed it when it can still be found, else `keyrot` on PATH.
fn hook_script() -> String {
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .filter(|p| !p.contains('\''));
    let keyrot = exe.map_or_else(|| "keyrot".to_string(), |p| format!("'{p}'"));
    format!(
        "#!/bin/sh\n# Installed by `keyrot install-hook`: refuse commits that stage AWS credentials.\n\
         keyrot={keyrot}\ncommand -v \"$keyrot\" >/dev/null 2>&1 || [ -x \"$keyrot\" ] || keyrot=keyrot\n\
         exec \"$keyrot\" scan --staged .\n"
    )
}

pub(super) fn install_hook(args: InstallHookArgs) -> Result<u8, CommandError> {
    let repo = crate::source::git::open(&args.repo)?;
    let hooks = repo.git_dir().join("hooks");
    let path = hooks.join("pre-commit");
    if path.exists() && !args.force {
        return Err(CommandError::Usage(format!(
            "{} exists; use --force to replace it (or the pre-commit framework, see .pre-commit-hooks.yaml)",
            path.display()
        )));
    }
    std::fs::create_dir_all(&hooks)
        .map_err(io_error(format!("cannot create {}", hooks.display())))?;
    std::fs::write(&path, hook_script())
        .map_err(io_error(format!("cannot write {}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(
            io_error(format!("cannot make {} executable", path.display())),
        )?;
    }
    eprintln!("keyrot: installed {}", path.display());
    Ok(0)
}
