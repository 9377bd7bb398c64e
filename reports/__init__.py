"""Pages for people: the plan, the grading, the complaints and plan comparisons.

Every page is one self-contained HTML file (Jinja2 templates, Plotly charts with plotly.js
inlined once) that opens offline. Data flows in one way: reports read results, nothing
reads reports.
"""
