//! `vstream-plan explain [--dot] SCRIPT`: prints the plans vstream would run for a script.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "vstream-plan", version, about = "Shows the plans vstream compiles a SQL script into")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prints the logical plan and the dataflow graph of a script.
    Explain {
        /// The SQL script.
        script: PathBuf,
        /// Print the dataflow as a Graphviz graph (`| dot -Tsvg > plan.svg`).
        #[arg(long)]
        dot: bool,
        /// Workers per process the plan would run on.
        #[arg(short = 'w', long = "workers", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
        workers: u16,
        /// Processes the plan would run on (a cluster's hostfile lines).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
        processes: u16,
    },
    /// Prints docs/functions.md: Flink's built-in functions and what vstream has of them.
    Functions,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (script, dot, workers, processes) = match cli.command {
        Command::Explain { script, dot, workers, processes } => (script, dot, workers, processes),
        Command::Functions => {
            print!("{}", vstream_planner::catalog::markdown());
            return ExitCode::SUCCESS;
        }
    };
    let on = vstream_planner::explain::Parallelism { processes: processes.into(), workers: workers.into() };
    let sql = match std::fs::read_to_string(&script) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", script.display());
            return ExitCode::FAILURE;
        }
    };
    let base = vstream_planner::script_dir(&script);
    match vstream_planner::plan_script(&sql, &base) {
        Ok(planned) => {
            let text = if dot {
                vstream_planner::explain::explain_dot_on(&planned, &base, on)
            } else {
                vstream_planner::explain::explain_text_on(&planned, &base, on)
            };
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{}", e.render(&sql, &script.display().to_string()));
            ExitCode::FAILURE
        }
    }
}
