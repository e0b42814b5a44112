//! YAML parsers against the YAML test suite (its `data` branch: one folder per case, `in.yaml`,
//! and a file `error` when the YAML is invalid) and against real CloudFormation templates.
//! Usage: keyrot-yaml-suite SUITE_DIR TEMPLATE_LIST_FILE
//! Prints, per parser: valid cases accepted, invalid cases rejected, templates rejected, panics.

use std::path::{Path, PathBuf};

type Accepts = fn(&str) -> bool;

fn yaml_rust2_010(text: &str) -> bool {
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((yaml_rust2::parser::Event::StreamEnd, _)) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

fn yaml_rust2_013(text: &str) -> bool {
    let mut parser = yaml_rust2_new::parser::Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((yaml_rust2_new::parser::Event::StreamEnd, _)) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

fn saphyr(text: &str) -> bool {
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            Some(Ok((saphyr_parser::Event::StreamEnd, _))) | None => return true,
            Some(Ok(_)) => {}
            Some(Err(_)) => return false,
        }
    }
}

fn libyaml(text: &str) -> bool {
    use serde::Deserialize;
    serde_norway::Deserializer::from_str(text)
        .all(|doc| serde_norway::Value::deserialize(doc).is_ok())
}

fn keyrot(text: &str) -> bool {
    keyrot::fuzz::yaml(text)
}

fn cases(dir: &Path, out: &mut Vec<(PathBuf, bool)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    // `name/` and `tags/` hold links to the same cases: follow real folders only.
    let mut entries: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| !p.ends_with("name") && !p.ends_with("tags"))
        .collect();
    entries.sort();
    for path in entries {
        if path.join("in.yaml").is_file() {
            out.push((path.join("in.yaml"), path.join("error").exists()));
        } else if path.is_dir() {
            cases(&path, out);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (suite, templates) = (&args[1], &args[2]);
    let mut suite_cases = Vec::new();
    cases(Path::new(suite), &mut suite_cases);
    let templates: Vec<String> = std::fs::read_to_string(templates)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let parsers: [(&str, Accepts); 5] = [
        ("keyrot (saphyr-parser 0.3 + repairs)", keyrot),
        ("yaml-rust2 0.10", yaml_rust2_010),
        ("yaml-rust2 0.13", yaml_rust2_013),
        ("saphyr-parser 0.3", saphyr),
        ("libyaml (serde_norway)", libyaml),
    ];
    std::panic::set_hook(Box::new(|_| {}));
    let valid = suite_cases.iter().filter(|c| !c.1).count();
    let invalid = suite_cases.len() - valid;
    println!(
        "| parser | valid accepted (of {valid}) | invalid rejected (of {invalid}) | templates rejected (of {}) | panics |",
        templates.len()
    );
    println!("|---|---|---|---|---|");
    for (name, accepts) in parsers {
        let (mut ok_valid, mut ok_invalid, mut rejected, mut panics) = (0, 0, 0, 0);
        let mut run = |text: &str| match std::panic::catch_unwind(|| accepts(text)) {
            Ok(a) => Some(a),
            Err(_) => {
                panics += 1;
                None
            }
        };
        for (path, is_error) in &suite_cases {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            match (run(&text), is_error) {
                (Some(true), false) => ok_valid += 1,
                (Some(false), true) => ok_invalid += 1,
                (got, _) if std::env::var_os("SUITE_VERBOSE").is_some() => {
                    eprintln!("{name}: {} {got:?}", path.display())
                }
                _ => {}
            }
        }
        for path in &templates {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            if run(&text) != Some(true) {
                rejected += 1;
                if std::env::var_os("SUITE_VERBOSE").is_some() {
                    eprintln!("{name}: template rejected: {path}");
                }
            }
        }
        println!("| {name} | {ok_valid} | {ok_invalid} | {rejected} | {panics} |");
    }
}
