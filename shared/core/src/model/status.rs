//! Job and document statuses, spelled as the document-to-webhook services our users come from spell them, and the transitions
//! allowed between them. A repeated event may try to move a status backwards; these rules refuse it.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "NEW")]
    New,
    #[serde(rename = "UNZIPPING FILE")]
    UnzippingFile,
    #[serde(rename = "UNZIP FILE SUCCESS")]
    UnzipFileSuccess,
    #[serde(rename = "UNZIP FILE FAILED")]
    UnzipFileFailed,
    #[serde(rename = "PROCESSING IMAGE")]
    ProcessingImage,
    #[serde(rename = "PROCESS IMAGE SUCCESS")]
    ProcessImageSuccess,
    #[serde(rename = "PROCESS IMAGE FAILED")]
    ProcessImageFailed,
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "FAILED")]
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "NEW",
            Status::UnzippingFile => "UNZIPPING FILE",
            Status::UnzipFileSuccess => "UNZIP FILE SUCCESS",
            Status::UnzipFileFailed => "UNZIP FILE FAILED",
            Status::ProcessingImage => "PROCESSING IMAGE",
            Status::ProcessImageSuccess => "PROCESS IMAGE SUCCESS",
            Status::ProcessImageFailed => "PROCESS IMAGE FAILED",
            Status::Success => "SUCCESS",
            Status::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        ALL.iter().copied().find(|s| s.as_str() == text)
    }

    /// A job is finished once it is `SUCCESS` or `FAILED`.
    pub fn is_job_terminal(self) -> bool {
        matches!(self, Status::Success | Status::Failed)
    }

    /// A document is finished once its processing succeeded or failed.
    pub fn is_document_terminal(self) -> bool {
        matches!(
            self,
            Status::ProcessImageSuccess | Status::ProcessImageFailed
        )
    }

    /// The statuses a job may move to from `self`.
    pub fn job_may_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (New, UnzippingFile | ProcessingImage | Failed)
                | (UnzippingFile, UnzipFileSuccess | UnzipFileFailed)
                | (UnzipFileSuccess, ProcessingImage | Success | Failed)
                | (UnzipFileFailed, Failed)
                | (ProcessingImage, Success | Failed)
        )
    }

    /// The statuses a document may move to from `self`.
    pub fn document_may_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (New, ProcessingImage | ProcessImageFailed)
                | (ProcessingImage, ProcessImageSuccess | ProcessImageFailed)
        )
    }
}

pub const ALL: [Status; 9] = [
    Status::New,
    Status::UnzippingFile,
    Status::UnzipFileSuccess,
    Status::UnzipFileFailed,
    Status::ProcessingImage,
    Status::ProcessImageSuccess,
    Status::ProcessImageFailed,
    Status::Success,
    Status::Failed,
];

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;
    use super::*;

    #[test]
    fn strings_round_trip_through_serde_and_parse() {
        for status in ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("PROCESSING"), None);
    }

    #[test]
    fn job_lifecycle_moves_forward_only() {
        let single = [New, ProcessingImage, Success];
        let zip = [
            New,
            UnzippingFile,
            UnzipFileSuccess,
            ProcessingImage,
            Failed,
        ];
        for path in [&single[..], &zip[..]] {
            for pair in path.windows(2) {
                assert!(
                    pair[0].job_may_become(pair[1]),
                    "{} -> {}",
                    pair[0],
                    pair[1]
                );
                assert!(
                    !pair[1].job_may_become(pair[0]),
                    "{} -> {} must be refused",
                    pair[1],
                    pair[0]
                );
            }
        }
        for terminal in [Success, Failed] {
            for next in ALL {
                assert!(!terminal.job_may_become(next));
            }
        }
        assert!(UnzipFileFailed.job_may_become(Failed));
        assert!(!UnzipFileFailed.job_may_become(Success));
    }

    #[test]
    fn document_lifecycle_moves_forward_only() {
        assert!(New.document_may_become(ProcessingImage));
        assert!(New.document_may_become(ProcessImageFailed));
        assert!(ProcessingImage.document_may_become(ProcessImageSuccess));
        assert!(!ProcessImageSuccess.document_may_become(ProcessingImage));
        assert!(!ProcessImageFailed.document_may_become(ProcessImageSuccess));
        assert!(!New.document_may_become(Success));
    }
}
