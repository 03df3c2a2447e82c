"""Alert rules, their episodes, email and webhook delivery, the weekly digest and the worker that runs them."""
