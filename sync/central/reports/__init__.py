"""What head office reads: figures by period and scope, the pages' reports and the CSV export."""
