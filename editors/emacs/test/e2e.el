;;; e2e.el --- Vigil through Eglot in batch Emacs  -*- lexical-binding: t; -*-

;; emacs --batch -l editors/emacs/test/e2e.el   (VIGIL_BIN=/path/to/vigil)
;;
;; Loads vigil-eglot.el, opens a vulnerable JavaScript file, waits for Vigil's
;; diagnostics (pushed: Eglot does not pull), asks for the code actions, applies
;; "Use SHA-256" through Eglot's own edit code, and checks the text and that the
;; diagnostic is gone.  Exits non-zero on failure.

(package-initialize)
(require 'eglot)
(require 'cl-lib)

(defvar vigil-test-dir (file-name-directory (or load-file-name buffer-file-name)))
(defvar vigil-test-diagnostics nil "Last publishDiagnostics params per URI.")

(defun vigil-test-log (fmt &rest args)
  (princ (concat "[emacs " emacs-version "] " (apply #'format fmt args) "\n") #'external-debugging-output))

(defun vigil-test-fail (fmt &rest args)
  (vigil-test-log "FAIL %s" (apply #'format fmt args))
  (vigil-test-log "0 passed, 1 failed")
  (kill-emacs 1))

(let ((bin (getenv "VIGIL_BIN")))
  (unless (and bin (file-executable-p bin))
    (vigil-test-fail "set VIGIL_BIN to the vigil binary"))
  (setq vigil-eglot-command (list (expand-file-name bin) "serve")))
(defvar vigil-eglot-command)
(load (expand-file-name "../vigil-eglot.el" vigil-test-dir))

(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql textDocument/publishDiagnostics)) &key uri diagnostics &allow-other-keys)
  (push (cons uri diagnostics) vigil-test-diagnostics))

(defun vigil-test-wait (what predicate)
  (let ((deadline (+ (float-time) 15)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate)
      (vigil-test-fail "timed out waiting for %s" what))))

(defun vigil-test-latest (uri)
  (cdr (assoc uri vigil-test-diagnostics)))

(let* ((dir (make-temp-file "vigil-emacs" t))
       (file (expand-file-name "app.js" dir))
       (eglot-sync-connect t)
       (server nil))
  (with-temp-file file
    (insert "const crypto = require('crypto');\nconst d = crypto.createHash('md5').update(x).digest('hex');\n"))
  ;; A git repository, so that project.el finds a project root as it would for a user.
  (let ((default-directory dir)) (call-process "git" nil nil nil "init" "-q"))
  (find-file file)
  (js-mode)
  ;; The contact comes from eglot-server-programs, as set by vigil-eglot.el.
  (setq server (apply #'eglot (eglot--guess-contact)))
  (unless (eglot-current-server) (vigil-test-fail "eglot did not connect"))
  (vigil-test-log "connected to %s" (plist-get (eglot--server-info server) :name))
  (let ((uri (eglot--path-to-uri file)))
    (vigil-test-wait "a js/weak-hash diagnostic"
                     (lambda () (cl-some (lambda (d) (equal (plist-get d :code) "js/weak-hash"))
                                         (vigil-test-latest uri))))
    (let* ((diag (cl-find "js/weak-hash" (vigil-test-latest uri)
                          :key (lambda (d) (plist-get d :code)) :test #'equal))
           (range (plist-get diag :range)))
      (unless (equal (list (plist-get (plist-get range :start) :line)
                           (plist-get (plist-get range :start) :character)
                           (plist-get (plist-get range :end) :line)
                           (plist-get (plist-get range :end) :character))
                     '(1 28 1 33))
        (vigil-test-fail "range %S" range))
      (vigil-test-log "diagnostic %s %S: %s" (plist-get diag :code) range (plist-get diag :message))
      (let* ((actions (jsonrpc-request server :textDocument/codeAction
                                       (list :textDocument (list :uri uri)
                                             :range range
                                             :context (list :diagnostics (vector diag)))))
             (action (cl-find "Use SHA-256" actions
                              :key (lambda (a) (plist-get a :title)) :test #'equal)))
        (vigil-test-log "code actions: %s"
                        (mapconcat (lambda (a) (plist-get a :title)) actions " | "))
        (unless action (vigil-test-fail "no \"Use SHA-256\" action"))
        (setq vigil-test-diagnostics nil)
        (eglot--apply-workspace-edit (plist-get action :edit))))
    (unless (equal (buffer-string)
                   "const crypto = require('crypto');\nconst d = crypto.createHash('sha256').update(x).digest('hex');\n")
      (vigil-test-fail "buffer after the fix: %S" (buffer-string)))
    (eglot--signal-textDocument/didChange)
    (vigil-test-wait "the diagnostic to go"
                     (lambda () (and (assoc uri vigil-test-diagnostics)
                                     (not (cl-some (lambda (d) (equal (plist-get d :code) "js/weak-hash"))
                                                   (vigil-test-latest uri))))))
    (vigil-test-log "fix applied, diagnostic gone")
    (eglot-shutdown server)
    (vigil-test-log "1 passed, 0 failed")
    (kill-emacs 0)))
