"""Documents rendered from live data: HTML for the screen, PDF for paper, Chinese and English."""
