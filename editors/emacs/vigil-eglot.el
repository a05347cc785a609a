;;; vigil-eglot.el --- Use the Vigil language server with Eglot  -*- lexical-binding: t; -*-

;; Put this in your init file, or load it: (load "/path/to/vigil-eglot.el").
;; Then `M-x eglot' in a JavaScript, TypeScript or Go buffer, or add
;; (add-hook 'js-mode-hook #'eglot-ensure) and friends.
;;
;; Eglot runs one server per buffer: these entries make Vigil the server for these
;; modes, in place of typescript-language-server or gopls.  See README.md.

(require 'eglot)

(defvar vigil-eglot-command '("vigil" "serve")
  "Command that starts the Vigil language server.")

(defvar vigil-eglot-settings '(:minConfidence "medium")
  "Settings sent to Vigil as initializationOptions (the `vigil' section).")

(let ((modes '(js-mode js-ts-mode js2-mode rjsx-mode
               typescript-mode typescript-ts-mode tsx-ts-mode
               go-mode go-ts-mode)))
  (add-to-list 'eglot-server-programs
               `(,modes . (,@vigil-eglot-command
                           :initializationOptions ,vigil-eglot-settings))))

(provide 'vigil-eglot)
;;; vigil-eglot.el ends here
