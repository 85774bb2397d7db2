//! Behaviour of the embedded adapters through their ports, against real SQLite files and directories in
//! temporary directories, with a manual clock. One test binary keeps linking cheap.

mod backend;
mod fixtures;
mod job_store;
mod object_store;
mod queue;
