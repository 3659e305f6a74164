"""What the screens show, computed without textual: view models, folds and actions.

Testable on their own; the screens and the app only draw them.
"""
