-- Dataset governance, version 4: the visibility a data owner sets on the gateway and per-dataset
-- grants to users. Read and written by DatasetAccess (and SqlStateStore reads datasets.visibility).
-- Same conventions as V1 (see its header).

-- 'public' or 'private' as set by a user with can_upload_data; NULL keeps the visibility the node
-- declared in the dataset's metadata (which is the initial one). A node registering the dataset
-- again does not change a visibility set here.
ALTER TABLE datasets ADD COLUMN visibility TEXT;

-- What one user may do with one dataset beyond what its visibility allows everybody:
-- process = may train and evaluate on it; download_results = may take results computed on it out
-- of the gateway without a release request. A row has at least one of them; no row, no grant.
CREATE TABLE dataset_grants (
  dataset_id       TEXT    NOT NULL REFERENCES datasets (id),
  user_id          TEXT    NOT NULL REFERENCES users (id),
  process          BOOLEAN NOT NULL,
  download_results BOOLEAN NOT NULL,
  granted_by       TEXT    NOT NULL,
  granted_at       TEXT    NOT NULL,
  PRIMARY KEY (dataset_id, user_id)
);

CREATE INDEX dataset_grants_by_user ON dataset_grants (user_id, dataset_id);
