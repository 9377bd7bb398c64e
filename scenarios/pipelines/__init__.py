"""One pipeline per command: grade, schedule (grade, solve, check, write), promise, complaints."""
